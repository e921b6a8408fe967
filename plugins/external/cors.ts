import cors from '@fastify/cors'
import fp from 'fastify-plugin'

/**
 * CORS for browser clients: by default only this server's own pages (same origin, which needs no CORS); the
 * listed origins, or every one with "*" (as browser clients deployed elsewhere may need: set CORS_ORIGINS=*).
 */
export default fp(async function corsPlugin (fastify) {
  const origins = fastify.config.CORS_ORIGINS.split(',').map((origin) => origin.trim()).filter(Boolean)
  await fastify.register(cors, {
    origin: origins.includes('*') ? '*' : origins,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']
  })
}, { name: 'cors', dependencies: ['env'] })
