import fp from 'fastify-plugin'
import { WebhookSender } from '../../lib/webhooks/deliver.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Sends the outbox's webhook deliveries; the dispatcher's upkeep ticks it. */
    webhookSender: WebhookSender
  }
}

/** Webhooks to the customer's systems (lib/webhooks): the sender of the outbox, stopped before the database closes. */
export default fp(async function webhooks (fastify) {
  const sender = new WebhookSender(fastify.db, {
    timeoutMs: fastify.config.WEBHOOK_TIMEOUT_SECONDS * 1000,
    perEndpoint: 4,
    batch: 50,
    allowPrivate: fastify.config.NODE_ENV !== 'production'
  }, (error) => fastify.log.warn({ err: error }, 'webhooks: a delivery round failed; the next tick tries again'))
  fastify.decorate('webhookSender', sender)
  fastify.addHook('onClose', async () => await sender.idle())
}, { name: 'webhooks', dependencies: ['db', 'env'] })
