import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import fp from 'fastify-plugin'
import { Recordings } from '../../lib/recordings/recordings.js'
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
  const store = new Recordings(fastify.db, dir, undefined, (message, detail) => fastify.log.warn(detail, message))
  const repaired = await store.repair()
  if (repaired.length) fastify.log.info({ calls: repaired.length }, 'recordings: unfinished recordings repaired')
  fastify.decorate('recordings', store)
  fastify.decorate('recording', config.RECORDINGS === 'on')
}, { name: 'recordings', dependencies: ['db', 'env'] })
