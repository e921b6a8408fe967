import fp from 'fastify-plugin'
import { failInterruptedUploads } from '../../lib/customers/import.js'

/**
 * At start-up, what a run that stopped (a crash, kill -9, a restart) left unfinished is settled before any request:
 * uploads it was importing are failed, saying why. (Calls it left in flight are looked up in Exotel's Call Details
 * by the dispatcher's first sweep.)
 */
export default fp(async function recovery (fastify) {
  const failed = await failInterruptedUploads(fastify.db)
  if (failed > 0) fastify.log.warn({ uploads: failed }, 'uploads interrupted by a restart marked failed')
}, { name: 'recovery', dependencies: ['db'] })
