import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ErrorRef } from '../schemas/common.js'
import { Health, MetricsText, Ready } from '../schemas/operations.js'

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

  fastify.get('/metrics', {
    schema: {
      tags: ['operations'],
      operationId: 'getMetrics',
      summary: 'Metrics in the Prometheus text format, for a scraper holding METRICS_TOKEN',
      description: 'Live streams, calls in flight, dials in the last minute, the webhook outbox\'s backlog and lag, whether ' +
        'the instance is draining, request latency by route, and the process\'s own (CPU, memory, event-loop delay). ' +
        'Without METRICS_TOKEN this route answers 404; METRICS_PORT serves the same on a port of its own, with no token.',
      security: [{ metricsToken: [] }],
      produces: ['text/plain'],
      response: { 200: MetricsText, 401: ErrorRef, 404: ErrorRef }
    }
  }, async (request, reply) => {
    if (!fastify.config.METRICS_TOKEN) throw fastify.httpErrors.notFound('Metrics are off here: set METRICS_TOKEN, or METRICS_PORT')
    if (!fastify.metricsAllowed(request.headers.authorization, fastify.config.METRICS_TOKEN)) throw fastify.httpErrors.unauthorized('The metrics token (METRICS_TOKEN) is missing or wrong')
    return reply.type(fastify.metrics.contentType).send(await fastify.metrics.metrics())
  })
}

export default operations
