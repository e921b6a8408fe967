import rateLimit from '@fastify/rate-limit'
import fp from 'fastify-plugin'
import { clientAddress } from '../../lib/server/client-address.js'
import { databaseStore } from '../../lib/auth/rate-limits.js'

/**
 * `fastify.rateLimit(options)` hooks for the routes that need one (sign-in and the code routes); nothing is
 * limited globally. A refusal is a 429 in the error envelope, with Retry-After. Counts are kept in the database
 * (read when a request comes, by then open), so every instance shares them.
 */
export default fp(async function rateLimitPlugin (fastify) {
  await fastify.register(rateLimit, {
    global: false,
    store: databaseStore(() => fastify.db),
    keyGenerator: (request) => clientAddress(request.ip, request.headers['x-forwarded-for'], fastify.config.TRUST_PROXY),
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      message: `Too many attempts; try again in ${context.after}`
    })
  })
}, { name: 'rate-limit', dependencies: ['env'] })
