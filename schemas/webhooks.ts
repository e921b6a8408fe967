import { Type } from '@sinclair/typebox'
import { Nullable, Timestamp } from './common.js'

const EventName = Type.Union([Type.Literal('upload.completed')], {
  description: 'upload.completed: a customer file was imported (data: upload_id, file_name, total, inserted, updated, rejected)'
})
const Url = Type.String({ format: 'uri', maxLength: 2000, pattern: '^https?://', description: 'Where deliveries are POSTed (https in production)' })

export const Webhook = Type.Object({
  id: Type.String({ format: 'uuid' }),
  url: Type.String(),
  events: Type.Array(Type.String()),
  description: Nullable(Type.String()),
  enabled: Type.Boolean(),
  disabled_reason: Nullable(Type.String({ description: 'Why it was switched off (failing for a day)' })),
  previous_secret_until: Nullable(Timestamp),
  created_by: Type.String(),
  created_at: Timestamp,
  updated_at: Timestamp
}, { additionalProperties: false })

export const CreateWebhookBody = Type.Object({
  url: Url,
  events: Type.Array(EventName, { minItems: 1, maxItems: 10, uniqueItems: true }),
  description: Type.Optional(Type.String({ maxLength: 200 }))
}, { additionalProperties: false })

export const EditWebhookBody = Type.Object({
  url: Type.Optional(Url),
  events: Type.Optional(Type.Array(EventName, { minItems: 1, maxItems: 10, uniqueItems: true })),
  description: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 200 })])),
  enabled: Type.Optional(Type.Boolean({ description: 'true switches a failing endpoint on again' }))
}, { additionalProperties: false, minProperties: 1 })

export const WebhookParams = Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false })

export const WebhookWithSecret = Type.Object({
  success: Type.Literal(true),
  message: Type.String(),
  webhook: Webhook,
  secret: Type.String({ description: 'whsec_...: shown this once. Verify deliveries with it (Standard Webhooks)' })
})

export const WebhookResponse = Type.Object({ success: Type.Literal(true), webhook: Webhook })
export const WebhookList = Type.Object({ success: Type.Literal(true), webhooks: Type.Array(Webhook) })

export const DeliveryQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  offset: Type.Integer({ minimum: 0, maximum: 2_147_483_647, default: 0 })
}, { additionalProperties: false })

export const DeliveryLog = Type.Object({
  success: Type.Literal(true),
  deliveries: Type.Array(Type.Object({
    id: Type.String({ description: 'The webhook-id header of every attempt' }),
    event: Type.String(),
    status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
    next_attempt_at: Nullable(Timestamp),
    created_at: Timestamp,
    attempts: Type.Array(Type.Object({
      at: Timestamp,
      status_code: Nullable(Type.Integer()),
      error: Nullable(Type.String()),
      latency_ms: Type.Integer()
    }))
  }))
})

export const DeliveryParams = Type.Object({ id: Type.String({ format: 'uuid' }), delivery: Type.String({ format: 'uuid' }) }, { additionalProperties: false })
