import { Type } from '@sinclair/typebox'
import { Nullable, Timestamp } from './common.js'
import { Analytics, Call, CallReason, CALL_STATUSES, CallingWindowSchema, PlannedCall, TriggerBulkCallsBody } from './calls.js'

export const CAMPAIGN_STATUSES = ['draft', 'scheduled', 'running', 'paused', 'finished', 'canceled'] as const

const CampaignStatus = Type.Union(CAMPAIGN_STATUSES.map((status) => Type.Literal(status)), {
  description: 'draft (not started), scheduled (started, its first dial ahead), running, paused, finished (every ' +
    "customer's part is over) or canceled"
})

const Seconds = (description: string, maximum: number) => Type.Integer({ minimum: 0, maximum, description })

export const CampaignRules = Type.Object({
  retry: Type.Optional(Type.Object({
    on: Type.Array(Type.Union([Type.Literal('busy'), Type.Literal('no-answer'), Type.Literal('failed')]), {
      maxItems: 3, uniqueItems: true, description: 'Ended statuses that are dialled again (default busy and no-answer); a conversation with no response counts as no-answer'
    }),
    retries: Type.Integer({ minimum: 0, maximum: 10, description: 'Most retries a customer (default CALL_RETRIES)' }),
    delay_seconds: Seconds('How long after the call ends (default CALL_RETRY_DELAY_SECONDS)', 7 * 86_400)
  }, { additionalProperties: false })),
  follow_up: Type.Optional(Type.Object({
    delay_seconds: Seconds('An outcome that asks for a follow-up (callback) is dialled again this long after, unless ' +
      'the customer asked for a time (default 7200)', 30 * 86_400),
    max: Type.Integer({ minimum: 0, maximum: 5, description: 'Most follow-ups a customer (default 1; 0: none)' })
  }, { additionalProperties: false })),
  skip_final_within_days: Type.Optional(Type.Integer({
    minimum: 0, maximum: 365, description: "Skip customers whose call in this many days ended with one of the assistant's final outcomes (confirmed); default 7, 0: none skipped"
  }))
}, { additionalProperties: false, description: 'What the campaign does after each call; each part left out takes its default' })

/** What a campaign is made of, as POST /api/campaigns takes it; PATCH takes any part of it. */
const campaignFields = {
  name: Type.String({ minLength: 1, maxLength: 120, description: 'What operators call it' }),
  assistant_id: Type.Optional(Nullable(Type.String({ format: 'uuid', maxLength: 36, description: 'Its assistant (default: the default assistant), pinned at its latest version when the campaign starts' }))),
  customer_ids: TriggerBulkCallsBody.properties.customer_ids,
  filter: TriggerBulkCallsBody.properties.filter,
  start_at: Type.Optional(Nullable(Type.String({ format: 'date-time', description: 'Dial nobody before this time (default: when started)' }))),
  end_at: Type.Optional(Nullable(Type.String({ format: 'date-time', description: 'Calls not dialled by this time are skipped' }))),
  calling_window: Type.Optional(CallingWindowSchema),
  rules: Type.Optional(CampaignRules),
  caller_ids: Type.Optional(Nullable(Type.Array(Type.String({ pattern: '^\\+[1-9]\\d{7,14}$', maxLength: 16 }), {
    minItems: 1,
    maxItems: 20,
    uniqueItems: true,
    description: 'Its own caller numbers, out of the server\'s pool (GET /api/caller-ids), in E.164: its calls are placed from them in ' +
      'turn. Left out or null: the whole pool'
  })))
}

export const CreateCampaignBody = Type.Object(campaignFields, {
  additionalProperties: false,
  description: 'Give `customer_ids`, or a `filter` ({} for every customer)'
})

export const UpdateCampaignBody = Type.Object({ ...campaignFields, name: Type.Optional(campaignFields.name) }, {
  additionalProperties: false, minProperties: 1
})

export const CampaignParams = Type.Object({ id: Type.String({ format: 'uuid' }) })

const StatusCounts = Type.Object(Object.fromEntries(CALL_STATUSES.map((status) => [status, Type.Integer()])) as
  Record<(typeof CALL_STATUSES)[number], ReturnType<typeof Type.Integer>>, { description: "Each customer's latest attempt, by status" })

const CampaignRulesStored = Type.Object({
  retry: Type.Object({ on: Type.Array(Type.String()), retries: Type.Integer(), delay_seconds: Type.Integer() }),
  follow_up: Type.Object({ delay_seconds: Type.Integer(), max: Type.Integer() }),
  skip_final_within_days: Type.Integer()
})

export const Campaign = Type.Object({
  id: Type.String(),
  name: Type.String(),
  status: CampaignStatus,
  assistant_id: Nullable(Type.String()),
  assistant_version: Nullable(Type.Integer({ description: 'Pinned when it started' })),
  caller_ids: Nullable(Type.Array(Type.String(), { description: 'Its own caller numbers; null: the server\'s whole pool' })),
  customer_count: Nullable(Type.Integer({ description: 'Customers chosen by id; null for a filter' })),
  filter: Nullable(Type.Record(Type.String(), Type.Unknown(), { description: 'The filter customers are chosen by' })),
  start_at: Nullable(Timestamp),
  end_at: Nullable(Timestamp),
  calling_window: CallingWindowSchema,
  rules: CampaignRulesStored,
  created_by: Type.String(),
  created_at: Timestamp,
  updated_at: Timestamp,
  started_at: Nullable(Timestamp),
  paused_at: Nullable(Timestamp),
  paused_reason: Nullable(Type.String({ description: 'Why it paused itself (its dials failing); null when an operator paused it, or it is not paused' })),
  canceled_at: Nullable(Timestamp),
  total: Type.Integer({ description: 'Customers queued when it started' }),
  done: Type.Integer({ description: 'Customers whose part is over' }),
  counts: StatusCounts,
  outcomes: Type.Record(Type.String(), Type.Integer(), { description: "Each customer's latest outcome, by outcome" }),
  retries: Type.Integer({ description: 'Retries made or queued (busy, no answer, failed, no response)' }),
  follow_ups: Type.Integer({ description: 'Follow-ups made or queued (callbacks)' }),
  next_dial_at: Nullable(Timestamp)
}, { additionalProperties: false })

export const CampaignResponse = Type.Object({ success: Type.Literal(true), message: Type.Optional(Type.String()), campaign: Campaign })

export const CampaignDetail = Type.Object({
  success: Type.Literal(true),
  campaign: Type.Composite([Campaign, Type.Object({ analytics: Analytics })], { additionalProperties: false })
})

export const CampaignList = Type.Object({ success: Type.Literal(true), campaigns: Type.Array(Campaign), total: Type.Integer() })

export const CampaignListQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  offset: Type.Integer({ minimum: 0, maximum: 2_147_483_647, default: 0 })
}, { additionalProperties: false })

export const PreviewQuery = Type.Object({
  limit: Type.Integer({ minimum: 0, maximum: 1000, default: 100, description: 'Customers listed (the counts cover them all)' }),
  offset: Type.Integer({ minimum: 0, maximum: 2_147_483_647, default: 0 })
}, { additionalProperties: false })

export const CampaignPreview = Type.Object({
  success: Type.Literal(true),
  message: Type.String(),
  fingerprint: Type.String({ description: 'Give it to POST .../start: the start is refused (409) if who would be called has changed since' }),
  would_dial: Type.Integer(),
  would_skip: Type.Integer(),
  skipped_by_reason: Type.Record(Type.String(), Type.Integer()),
  first_dial_at: Timestamp,
  assistant: Type.Object({ id: Type.String(), version: Type.Integer(), name: Type.String() }, { description: 'The assistant the calls would pin' }),
  greetings: Type.Array(Type.Object({
    customer_id: Type.String(),
    name: Nullable(Type.String()),
    language: Type.String(),
    text: Type.String()
  }), { description: 'What the first few customers to dial will hear first' }),
  calls: Type.Array(Type.Composite([PlannedCall, Type.Object({ name: Nullable(Type.String()) })]), {
    description: 'Each selected customer in upload order (unknown ids last), from `offset`, at most `limit`'
  }),
  total: Type.Integer({ description: 'Customers selected' })
})

export const StartCampaignBody = Type.Object({
  fingerprint: Type.String({ minLength: 1, maxLength: 64, description: "The preview's fingerprint: what the operator saw" })
}, { additionalProperties: false })

export const CampaignStarted = Type.Object({
  success: Type.Literal(true),
  message: Type.String(),
  campaign: Campaign,
  queued: Type.Integer(),
  skipped_by_reason: Type.Record(Type.String(), Type.Integer()),
  first_dial_at: Timestamp
})

export const CampaignCanceled = Type.Object({
  success: Type.Literal(true),
  message: Type.String(),
  campaign: Campaign,
  canceled: Type.Integer({ description: 'Calls canceled before they were dialled' })
})

export const CampaignCalls = Type.Object({
  success: Type.Literal(true),
  calls: Type.Array(Type.Composite([Call, Type.Object({
    outcome: Nullable(Type.String()),
    reason: CallReason
  })], { additionalProperties: false })),
  total: Type.Integer()
})
