import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import S3rver from 's3rver'

/** A local S3 emulator (s3rver) with an empty bucket, stopped after the test. */
export async function localS3 (t: { teardown (fn: () => unknown): void }) {
  const directory = await mkdtemp(path.join(tmpdir(), 'vcm-s3-'))
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: 'recordings', configs: [] }] })
  const { port } = await server.run() as unknown as { port: number }
  t.teardown(async () => { await server.close(); await rm(directory, { recursive: true, force: true }) })
  return { endpoint: `http://127.0.0.1:${port}`, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } }
}
