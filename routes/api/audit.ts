import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { listAudit } from '../../lib/audit/audit.js'
import { AuditList, AuditQuery } from '../../schemas/audit.js'
import { ErrorRef } from '../../schemas/common.js'

/** The audit trail: who did what, when, from where. */
const audit: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/audit', {
    config: { role: 'admin' },
    schema: {
      tags: ['users'],
      operationId: 'listAudit',
      summary: 'The audit trail, newest first: who did what, to what, when and from where',
      description: 'Append-only: written in the same transaction as each action. Filters combine.',
      security: [{ bearerAuth: [] }],
      querystring: AuditQuery,
      response: { 200: AuditList, 400: ErrorRef, 401: ErrorRef, 403: ErrorRef }
    }
  }, async (request) => {
    const { events, total } = await listAudit(fastify.db, request.query)
    // People are shown by their email while they are in the pool; the trail itself keeps only their sub.
    const emails = new Map<string, string>()
    if (events.some((event) => event.actor_kind === 'person')) {
      try {
        for (const user of await fastify.cognitoUsers.list()) emails.set(user.sub, user.email)
      } catch (error) {
        request.log.warn({ err: error }, 'audit: the people\'s emails could not be read from Cognito')
      }
    }
    return { success: true as const, events: events.map((event) => ({ ...event, actor_email: emails.get(event.actor) ?? null })), total }
  })
}

export default audit
