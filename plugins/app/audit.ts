import fp from 'fastify-plugin'
import type { Actor } from '../../lib/audit/audit.js'
import { clientAddress } from '../../lib/server/client-address.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Who made this request and from where, for the audit trail: the signed-in person or program. */
    actor (sub?: string): Actor
  }
}

/** The actor of each request, for the audit trail (lib/audit): the routes record what they do in it. */
export default fp(async function audit (fastify) {
  const hops = fastify.config.TRUST_PROXY
  fastify.decorateRequest('actor', function (this: import('fastify').FastifyRequest, sub?: string): Actor {
    return {
      id: sub ?? this.user!.sub,
      kind: this.user?.program ? 'program' : 'person',
      address: clientAddress(this.ip, this.headers['x-forwarded-for'], hops)
    }
  })
}, { name: 'audit', dependencies: ['env'] })
