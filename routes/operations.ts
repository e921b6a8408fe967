import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ErrorRef } from '../schemas/common.js'
import { Health, Ready } from '../schemas/operations.js'

const operations: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/health', {
    schema: {
      tags: ['operations'],
      operationId: 'getHealth',
      security: [],
      summary: 'Liveness: the process is up and serving',
      response: { 200: Health }
    }
  }, async () => ({ success: true as const, status: 'ok' as const, uptime_seconds: process.uptime() }))

  fastify.get('/ready', {
    schema: {
      tags: ['operations'],
      operationId: 'getReadiness',
      security: [],
      summary: 'Readiness: the database answers, and the instance is not draining (after SIGTERM)',
      response: { 200: Ready, 503: ErrorRef }
    }
  }, async (request, reply) => {
    // A deploy's SIGTERM: a load balancer sends new work elsewhere while the live calls here end.
    if (fastify.draining) return reply.code(503).send({ success: false, message: 'Draining: this instance takes no new work' })
    try {
      await fastify.db.query('SELECT 1')
    } catch (error) {
      request.log.warn({ err: error }, 'readiness check: database unreachable')
      // A probe's answer, not a failure of the request: said here, in the envelope, with no error logged.
      return reply.code(503).send({ success: false, message: 'Database unreachable' })
    }
    return { success: true as const, status: 'ready' as const, database: fastify.db.engine }
  })
}

export default operations
