import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { recentHandOffs } from '../../lib/calls/conversation.js'
import { callerIdStats } from '../../lib/exotel/caller-ids.js'
import { switchedOff } from '../../lib/webhooks/webhooks.js'
import { ErrorRef } from '../../schemas/common.js'
import { NoticeList } from '../../schemas/notices.js'

/** What needs someone's attention, shown at the top of every screen: endpoints switched off, resting numbers, hand-offs. */
const notices: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/notices', {
    config: { role: 'viewer' },
    schema: {
      tags: ['api'],
      operationId: 'listNotices',
      summary: 'What needs attention: webhook endpoints switched off after failing for a day, caller numbers resting, calls handed to a person',
      security: [{ bearerAuth: [] }],
      response: { 200: NoticeList, 401: ErrorRef }
    }
  }, async () => {
    const now = new Date()
    const webhooks = (await switchedOff(fastify.db)).map((webhook) => ({
      kind: 'webhook-off' as const,
      message: `Webhooks to ${new URL(webhook.url).host} are switched off: ${webhook.disabled_reason!}. ` +
        'Deliveries wait until an administrator switches it on again.',
      since: webhook.updated_at,
      link: '#/webhooks'
    }))
    const resting = (await callerIdStats(fastify.db, fastify.telephony.exotel.callerIds, 1)).filter((row) => row.resting).map((row) => ({
      kind: 'caller-id-resting' as const,
      message: row.resting_reason === 'refused'
        ? `Exotel refused calls from ${row.number} (not an ExoPhone of the account, or not allowed to call): it rests for an hour ` +
          'and calls go from the other numbers. Check it in Exotel, or take it out of EXOTEL_CALLER_IDS.'
        : `Customers stopped answering ${row.number} (${row.answered} of its last ${row.dials} calls answered): it rests for an ` +
          'hour and calls go from the other numbers. It may be flagged as spam.',
      since: now,
      link: '#/analytics'
    }))
    const handOffs = (await recentHandOffs(fastify.db, 15)).map((handOff) => ({
      kind: 'handoff' as const,
      message: `${handOff.customer_name} was handed to a person (${handOff.reason}): open the call for who they are and what was said.`,
      since: handOff.ended_at,
      link: `#/calls/${handOff.call_id}`
    }))
    return { success: true as const, notices: [...handOffs, ...webhooks, ...resting] }
  })
}

export default notices
