import { Type } from '@sinclair/typebox'
import { CallStatus } from './calls.js'
import { Nullable } from './common.js'

export const EventsQuery = Type.Object({
  batch_id: Type.Optional(Type.String({ format: 'uuid', description: "Only this batch's events" }))
}, { additionalProperties: false })

const LiveCall = Type.Object({
  id: Type.String(),
  customer_id: Type.String(),
  batch_id: Nullable(Type.String()),
  attempt: Type.Integer(),
  status: CallStatus,
  exotel_sid: Nullable(Type.String()),
  updated_at: Type.String({ format: 'date-time' })
}, { description: 'A call changed status' })

const LiveBatch = Type.Object({
  id: Type.String(),
  change: Type.Union(['queued', 'canceled', 'ended', 'paused', 'resumed'].map((change) => Type.Literal(change))),
  calls: Type.Integer({ description: 'Calls queued, canceled, or skipped at its end_at' })
}, { description: 'A batch (campaign) was queued (started), canceled, paused, resumed, or reached its end_at' })

const LiveConversation = Type.Object({
  call_id: Type.String(),
  batch_id: Type.Optional(Nullable(Type.String())),
  line: Type.Optional(Type.Object({
    speaker: Type.Union([Type.Literal('assistant'), Type.Literal('caller')]),
    text: Type.String()
  }, { description: 'A line of the transcript' })),
  digit: Type.Optional(Type.String({ description: 'A key the caller pressed' })),
  bargeIn: Type.Optional(Type.Boolean({ description: 'The caller talked over the assistant and it stopped' })),
  outcome: Type.Optional(Type.Object({
    result: Type.String(),
    detail: Type.Optional(Type.Record(Type.String(), Type.Unknown()))
  }, { description: 'What came of the call' })),
  problem: Type.Optional(Type.String({ description: 'What went wrong on the live call' })),
  end: Type.Optional(Type.String({ description: 'The stream ended, for this reason' }))
}, { description: 'Something happened on a live call: one of line, digit, bargeIn, outcome, problem or end' })

/** One server-sent event: its `event:` line names the type, its `data:` line holds the JSON below. */
export const LiveEvent = Type.Union([
  Type.Object({ event: Type.Literal('call'), data: LiveCall }),
  Type.Object({ event: Type.Literal('batch'), data: LiveBatch }),
  Type.Object({ event: Type.Literal('conversation'), data: LiveConversation })
], {
  description: 'Each message is an `event: <call | batch | conversation>` line and a `data: <JSON>` line, then a blank ' +
    'line; `: heartbeat` comment lines come between them'
})
