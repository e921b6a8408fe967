import fp from 'fastify-plugin'
import { claimKey, requestHash, settleKey, type KeyScope } from '../../lib/server/idempotency.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route honours an Idempotency-Key header (its schema declares the header). */
    idempotent?: boolean
  }
  interface FastifyRequest {
    idempotencyKey?: KeyScope
  }
}

/**
 * Idempotency-Key for the routes that start calls: a repeat of a request with the same key and body gets the
 * first answer again, marked `Idempotent-Replayed: true`, and the handler does not run (nobody is dialled twice);
 * the same key with another body gets 409. Keys are kept in the database for 24 hours, so every instance knows
 * them. Runs after authentication (keys are per user) and validation.
 */
export default fp(async function idempotency (fastify) {
  fastify.addHook('preHandler', async (request, reply) => {
    const key = request.headers['idempotency-key']
    if (!request.routeOptions.config.idempotent || typeof key !== 'string') return
    const scope = { owner: request.user!.sub, route: `${request.method} ${request.routeOptions.url!}`, key }
    const claim = await claimKey(fastify.db, scope, requestHash(request.body))
    if (claim.kind === 'new') {
      request.idempotencyKey = scope
      return
    }
    if (claim.kind === 'replay') {
      return reply.code(claim.statusCode).header('idempotent-replayed', 'true').type('application/json; charset=utf-8').send(claim.response)
    }
    throw fastify.httpErrors.conflict(claim.kind === 'conflict'
      ? 'This Idempotency-Key was used with a different request'
      : 'A request with this Idempotency-Key is still being handled; try again shortly')
  })

  fastify.addHook('onSend', async (request, reply, payload) => {
    if (request.idempotencyKey) await settleKey(fastify.db, request.idempotencyKey, reply.statusCode, String(payload))
    return payload
  })
}, { name: 'idempotency', dependencies: ['db', 'sensible'] })
