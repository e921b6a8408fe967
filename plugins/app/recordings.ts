import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import fp from 'fastify-plugin'
import { Recordings } from '../../lib/recordings/recordings.js'
import { s3Store } from '../../lib/recordings/s3.js'
import { privateDir } from '../../lib/server/private-dir.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The calls' recordings (lib/recordings); `recording` says whether new calls are recorded (RECORDINGS). */
    recordings: Recordings
    recording: boolean
  }
}

/**
 * Recordings of the live calls: in DATA_DIR/recordings (a folder of its own with DATA_DIR memory://, removed at
 * close). Recordings a crash left unfinished are repaired before any call streams.
 */
export default fp(async function recordings (fastify) {
  const config = fastify.config
  const inMemory = config.DATA_DIR.startsWith('memory://')
  const dir = inMemory ? await mkdtemp(path.join(tmpdir(), 'vcm-recordings-')) : path.join(config.DATA_DIR, 'recordings')
  if (inMemory) fastify.addHook('onClose', async () => await rm(dir, { recursive: true, force: true }))
  else await privateDir(dir) // the customers' voices
  const objects = config.RECORDINGS_S3_BUCKET
    ? s3Store({
      bucket: config.RECORDINGS_S3_BUCKET,
      prefix: config.RECORDINGS_S3_PREFIX,
      region: config.RECORDINGS_S3_REGION,
      endpoint: config.RECORDINGS_S3_ENDPOINT,
      credentials: config.RECORDINGS_S3_ACCESS_KEY_ID
        ? { accessKeyId: config.RECORDINGS_S3_ACCESS_KEY_ID, secretAccessKey: config.RECORDINGS_S3_SECRET_ACCESS_KEY! }
        : undefined
    })
    : undefined
  if (objects) fastify.addHook('onClose', async () => objects.destroy())
  // Written to the folder as calls go on; with a bucket, uploaded to it when each call's recording is finished.
  const store = new Recordings(fastify.db, dir, objects, (message, detail) => fastify.log.warn(detail, message))
  fastify.addHook('onClose', async () => await store.close())
  const repaired = await store.repair()
  if (repaired.length) fastify.log.info({ calls: repaired.length }, 'recordings: unfinished recordings repaired')
  fastify.decorate('recordings', store)
  fastify.decorate('recording', config.RECORDINGS === 'on')
}, { name: 'recordings', dependencies: ['db', 'env'] })
