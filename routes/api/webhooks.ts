import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { recordAudit } from '../../lib/audit/audit.js'
import { deliveryLog, destinationRefusal, redeliver } from '../../lib/webhooks/deliver.js'
import { createWebhook, deleteWebhook, getWebhook, listWebhooks, rotateSecret, updateWebhook } from '../../lib/webhooks/webhooks.js'
import { MessageResponse } from '../../schemas/auth.js'
import { ErrorRef } from '../../schemas/common.js'
import {
  CreateWebhookBody, DeliveryLog, DeliveryParams, DeliveryQuery, EditWebhookBody, WebhookList, WebhookParams, WebhookResponse, WebhookWithSecret,
  EVENT_SCHEMAS
} from '../../schemas/webhooks.js'

const security = [{ bearerAuth: [] }]
const tags = ['webhooks']
const errors = { 400: ErrorRef, 401: ErrorRef, 403: ErrorRef }

/** Endpoints of the customer's systems that hear of events: administrators set them up (lib/webhooks). */
const webhooks: FastifyPluginAsyncTypebox = async (fastify) => {
  const allowPrivate = fastify.config.NODE_ENV !== 'production'
  const checked = async (url: string) => {
    const refusal = await destinationRefusal(url, allowPrivate)
    if (refusal) throw fastify.httpErrors.badRequest(`body.url is refused: ${refusal}`)
  }
  const found = async (id: string) => {
    const webhook = await getWebhook(fastify.db, id)
    if (!webhook) throw fastify.httpErrors.notFound('Webhook not found')
    return webhook
  }
  const audit = (request: FastifyRequest, action: string, id: string, summary: string) =>
    recordAudit(fastify.db, request.actor(), { action, target_type: 'webhook', target_id: id, summary })

  fastify.post('/webhooks', {
    config: { role: 'admin' },
    schema: {
      tags,
      operationId: 'createWebhook',
      summary: 'Add an endpoint: its signing secret is answered this once',
      description: 'Deliveries are POSTed as JSON, signed as the Standard Webhooks specification says (webhook-id, ' +
        'webhook-timestamp, webhook-signature: v1,<base64 HMAC-SHA256>), sent at least once and retried for about a day.',
      security,
      body: CreateWebhookBody,
      response: { 201: WebhookWithSecret, ...errors },
      // Each event's body, as the endpoint receives it.
      callbacks: Object.fromEntries(Object.entries(EVENT_SCHEMAS).map(([event, schema]) => [event, {
        '{$request.body#/url}': {
          post: {
            requestBody: { content: { 'application/json': { schema } } },
            responses: { '2XX': { description: 'Received: any 2xx answer; anything else (or none in time) is tried again' } }
          }
        }
      }]))
    }
  }, async (request, reply) => {
    await checked(request.body.url)
    const { webhook, secret } = await createWebhook(fastify.db, { ...request.body, createdBy: request.user!.sub })
    await audit(request, 'webhook.created', webhook.id, `Webhook to ${new URL(webhook.url).host} for ${webhook.events.join(', ')}`)
    return reply.code(201).send({ success: true as const, message: 'Webhook added: keep its secret, it is not shown again', webhook, secret })
  })

  fastify.get('/webhooks', {
    config: { role: 'admin' },
    schema: { tags, operationId: 'listWebhooks', summary: 'The endpoints, oldest first', security, response: { 200: WebhookList, ...errors } }
  }, async () => ({ success: true as const, webhooks: await listWebhooks(fastify.db) }))

  fastify.patch('/webhooks/:id', {
    config: { role: 'admin' },
    schema: {
      tags,
      operationId: 'editWebhook',
      summary: 'Change an endpoint, or switch it off and on',
      security,
      params: WebhookParams,
      body: EditWebhookBody,
      response: { 200: WebhookResponse, ...errors, 404: ErrorRef }
    }
  }, async (request) => {
    await found(request.params.id)
    if (request.body.url) await checked(request.body.url)
    const webhook = (await updateWebhook(fastify.db, request.params.id, request.body))!
    await audit(request, 'webhook.changed', webhook.id, `Changed: ${Object.keys(request.body).join(', ')}`)
    return { success: true as const, webhook }
  })

  fastify.delete('/webhooks/:id', {
    config: { role: 'admin' },
    schema: {
      tags, operationId: 'deleteWebhook', summary: 'Remove an endpoint and its deliveries', security, params: WebhookParams, response: { 200: MessageResponse, ...errors, 404: ErrorRef }
    }
  }, async (request) => {
    if (!await deleteWebhook(fastify.db, request.params.id)) throw fastify.httpErrors.notFound('Webhook not found')
    await audit(request, 'webhook.deleted', request.params.id, 'Removed')
    return { success: true as const, message: 'Webhook removed' }
  })

  fastify.post('/webhooks/:id/rotate-secret', {
    config: { role: 'admin' },
    schema: {
      tags,
      operationId: 'rotateWebhookSecret',
      summary: 'A new signing secret, answered this once; the old one signs too for 24 hours',
      security,
      params: WebhookParams,
      response: { 200: WebhookWithSecret, ...errors, 404: ErrorRef }
    }
  }, async (request) => {
    const rotated = await rotateSecret(fastify.db, request.params.id, new Date())
    if (!rotated) throw fastify.httpErrors.notFound('Webhook not found')
    await audit(request, 'webhook.secret-rotated', request.params.id, 'New secret; the old one signs for 24 hours more')
    return { success: true as const, message: 'New secret: deliveries carry both signatures for 24 hours', ...rotated }
  })

  fastify.get('/webhooks/:id/deliveries', {
    config: { role: 'admin' },
    schema: {
      tags,
      operationId: 'listWebhookDeliveries',
      summary: 'An endpoint\'s deliveries, newest first, each with its attempts (time, status code, latency)',
      security,
      params: WebhookParams,
      querystring: DeliveryQuery,
      response: { 200: DeliveryLog, ...errors, 404: ErrorRef }
    }
  }, async (request) => {
    await found(request.params.id)
    return { success: true as const, deliveries: await deliveryLog(fastify.db, request.params.id, request.query.limit, request.query.offset) }
  })

  fastify.post('/webhooks/:id/deliveries/:delivery/redeliver', {
    config: { role: 'admin' },
    schema: {
      tags,
      operationId: 'redeliverWebhook',
      summary: 'Send a delivery again, with the same webhook-id',
      security,
      params: DeliveryParams,
      response: { 200: MessageResponse, ...errors, 404: ErrorRef }
    }
  }, async (request) => {
    if (!await redeliver(fastify.db, request.params.id, request.params.delivery, new Date())) throw fastify.httpErrors.notFound('Delivery not found')
    return { success: true as const, message: 'It is sent again at the next round' }
  })
}

export default webhooks
