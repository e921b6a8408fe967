import rateLimit from '@fastify/rate-limit'
import fp from 'fastify-plugin'

/**
 * `fastify.rateLimit(options)` hooks for the routes that need one (sign-in and the code routes); nothing is
 * limited globally. A refusal is a 429 in the seed envelope, with Retry-After.
 */
export default fp(async function rateLimitPlugin (fastify) {
  await fastify.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      message: `Too many attempts; try again in ${context.after}`
    })
  })
}, { name: 'rate-limit' })
