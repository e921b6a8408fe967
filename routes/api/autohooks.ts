import type { FastifyInstance } from 'fastify'

// Every route under /api requires a valid Cognito access token and the role the route declares; a viewer's answers
// mask phone numbers. Added once here, so no route can forget them.
export default async function apiHooks (fastify: FastifyInstance) {
  fastify.addHook('onRequest', fastify.authenticate)
  fastify.addHook('onRequest', fastify.authorize)
  fastify.addHook('preSerialization', fastify.maskForViewers)
}
