import type { FastifyInstance } from 'fastify'

// Every route under /api requires a valid Cognito access token: added once here, so no route can forget it.
export default async function apiHooks (fastify: FastifyInstance) {
  fastify.addHook('onRequest', fastify.authenticate)
}
