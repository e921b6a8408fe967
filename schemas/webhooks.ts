import { Type, type TSchema } from '@sinclair/typebox'
import { Nullable, Timestamp } from './common.js'
import { CALL_STATUSES, CallStatus, Conversation, Quality, SKIP_REASONS } from './calls.js'

const EventName = Type.Union([Type.Literal('call.completed'), Type.Literal('campaign.finished'), Type.Literal('campaign.paused'),
  Type.Literal('upload.completed')], {
  description: 'call.completed: a call ended (its status, outcome and fields, transcript); campaign.finished: a campaign\'s ' +
    'last call is done; campaign.paused: a campaign paused itself, its dials failing; upload.completed: a customer file ' +
    'was imported. Each is described under this operation\'s callbacks'
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

/** What every delivery's body is: the event, when it happened, and what it says. */
const Envelope = <T extends TSchema>(type: string, data: T, description: string) => Type.Object({
  type: Type.Literal(type),
  timestamp: Timestamp,
  data
}, { additionalProperties: false, description })

export const CallCompletedEvent = Envelope('call.completed', Type.Object({
  call_id: Type.String({ format: 'uuid' }),
  customer_id: Type.String({ description: 'Your id for the customer, from the upload (erased-... once they were deleted)' }),
  name: Nullable(Type.String()),
  phone: Type.String({ description: 'The number dialled, E.164' }),
  campaign_id: Nullable(Type.String({ format: 'uuid' })),
  attempt: Type.Integer({ minimum: 1 }),
  status: CallStatus,
  skip_reason: Nullable(Type.Union(SKIP_REASONS.map((reason) => Type.Literal(reason)))),
  error: Nullable(Type.String()),
  answered_by: Nullable(Type.String()),
  duration_seconds: Nullable(Type.Integer()),
  dialled_at: Nullable(Timestamp),
  answered_at: Nullable(Timestamp),
  ended_at: Nullable(Timestamp),
  outcome: Nullable(Type.String({ description: 'What came of the call (the assistant\'s outcome): confirmed, callback, ...' })),
  outcome_fields: Type.Record(Type.String(), Type.Unknown(), { description: 'The fields the assistant recorded with its outcome' }),
  transcript: Conversation.properties.transcript,
  stop_reason: Nullable(Type.String()),
  quality: Nullable(Quality),
  recording_url: Nullable(Type.String({ description: 'Exotel\'s recording of the call, when it sent one (EXOTEL_RECORD)' })),
  recording_path: Nullable(Type.String({ description: 'Our recording of the call on this server (GET it with a token, as GET /api/calls/{id}/recording says)' }))
}, { additionalProperties: false }), 'Sent once a call has ended and its conversation (if any) is over; also for a call skipped at its dial')

export const CampaignFinishedEvent = Envelope('campaign.finished', Type.Object({
  campaign_id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  status: Type.Union([Type.Literal('finished'), Type.Literal('canceled')]),
  started_at: Timestamp,
  ended_at: Timestamp,
  customers: Type.Integer({ description: 'Customers queued at its start' }),
  counts: Type.Object(Object.fromEntries(CALL_STATUSES.map((status) => [status, Type.Integer()])) as
    Record<(typeof CALL_STATUSES)[number], ReturnType<typeof Type.Integer>>, { description: "Each customer's latest attempt, by status" }),
  outcomes: Type.Record(Type.String(), Type.Integer(), { description: "Each customer's latest outcome, by outcome" }),
  retries: Type.Integer(),
  follow_ups: Type.Integer()
}, { additionalProperties: false }), 'Sent once, when every call of a started campaign is done (status canceled when it was canceled)')

export const CampaignPausedEvent = Envelope('campaign.paused', Type.Object({
  campaign_id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  reason: Type.String({ description: 'Why, in words: how many of its recent dials failed, or what Exotel refused' }),
  paused_at: Timestamp
}, { additionalProperties: false }), 'Sent when a campaign pauses itself because its dials fail (a burst of failures, or Exotel ' +
  'refusing the account: authentication, KYC); it waits for an operator to resume it. An operator\'s own pause sends nothing')

export const UploadCompletedEvent = Envelope('upload.completed', Type.Object({
  upload_id: Type.String({ format: 'uuid' }),
  file_name: Type.String(),
  total: Type.Integer(),
  inserted: Type.Integer(),
  updated: Type.Integer(),
  rejected: Type.Integer()
}, { additionalProperties: false }), 'Sent when a customer file has been imported (a file refused as a whole sends nothing)')

/** The events, as the OpenAPI document's callbacks of POST /api/webhooks describe them. */
export const EVENT_SCHEMAS = {
  'call.completed': CallCompletedEvent,
  'campaign.finished': CampaignFinishedEvent,
  'campaign.paused': CampaignPausedEvent,
  'upload.completed': UploadCompletedEvent
}
