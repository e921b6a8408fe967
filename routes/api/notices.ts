import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { switchedOff } from '../../lib/webhooks/webhooks.js'
import { ErrorRef } from '../../schemas/common.js'
import { NoticeList } from '../../schemas/notices.js'

/** What needs someone's attention, shown at the top of every screen: endpoints switched off, for now. */
const notices: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/notices', {
    config: { role: 'viewer' },
    schema: {
      tags: ['api'],
      operationId: 'listNotices',
      summary: 'What needs attention: webhook endpoints switched off after failing for a day',
      security: [{ bearerAuth: [] }],
      response: { 200: NoticeList, 401: ErrorRef }
    }
  }, async () => ({
    success: true as const,
    notices: (await switchedOff(fastify.db)).map((webhook) => ({
      kind: 'webhook-off' as const,
      message: `Webhooks to ${new URL(webhook.url).host} are switched off: ${webhook.disabled_reason!}. ` +
        'Deliveries wait until an administrator switches it on again.',
      since: webhook.updated_at,
      link: '#/webhooks'
    }))
  }))
}

export default notices
