import cors from '@fastify/cors'
import fp from 'fastify-plugin'

/** CORS for browser clients: every origin by default (the browser clients already deployed call from anywhere), or the listed ones. */
export default fp(async function corsPlugin (fastify) {
  const origins = fastify.config.CORS_ORIGINS.split(',').map((origin) => origin.trim()).filter(Boolean)
  await fastify.register(cors, {
    origin: origins.includes('*') ? '*' : origins,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']
  })
}, { name: 'cors', dependencies: ['env'] })
