import sensible from '@fastify/sensible'
import fp from 'fastify-plugin'

/**
 * `fastify.httpErrors`: routes throw `fastify.httpErrors.notFound('Customer not found')` and read as their happy
 * path; the app's error handler answers every such error in the envelope, with its message.
 */
export default fp(async function sensiblePlugin (fastify) {
  await fastify.register(sensible)
}, { name: 'sensible' })
