import { createReadStream } from 'node:fs'
import type { Readable } from 'node:stream'
import { DeleteObjectsCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import type { ObjectStore } from './recordings.js'

export interface S3Options {
  bucket: string
  /** Put before every key: `recordings/`. */
  prefix: string
  region: string
  /** An S3-compatible service (MinIO, R2, a local emulator); unset: Amazon S3. */
  endpoint?: string
  /** Keys of their own (an S3-compatible service's); unset: the AWS SDK's usual chain (environment, role, ...). */
  credentials?: { accessKeyId: string, secretAccessKey: string }
}

/** Parts of a multipart upload: S3's least, so that a long call's recording goes up in a few parts, two at a time. */
const PART_BYTES = 5 * 1024 * 1024

/** Recordings in an S3 bucket, through the AWS SDK: uploaded in parts, read in ranges. */
export function s3Store (options: S3Options): ObjectStore & { destroy (): void } {
  const client = new S3Client({
    region: options.region,
    ...options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {},
    ...options.credentials ? { credentials: options.credentials } : {}
  })
  const Bucket = options.bucket
  const Key = (key: string) => `${options.prefix}${key}`
  return {
    put: async (key, file) => {
      await new Upload({
        client,
        params: { Bucket, Key: Key(key), Body: createReadStream(file), ContentType: 'audio/wav' },
        partSize: PART_BYTES,
        queueSize: 2
      }).done()
    },
    get: async (key, range) => {
      const object = await client.send(new GetObjectCommand({ Bucket, Key: Key(key), ...range ? { Range: `bytes=${range.start}-${range.end}` } : {} }))
      return { body: object.Body as Readable, size: Number(object.ContentRange?.split('/')[1] ?? object.ContentLength) }
    },
    remove: async (keys) => {
      for (let at = 0; at < keys.length; at += 1000) {
        await client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: keys.slice(at, at + 1000).map((key) => ({ Key: Key(key) })), Quiet: true } }))
      }
    },
    destroy: () => client.destroy()
  }
}
