import { Type } from '@sinclair/typebox'

/** Where a call stands, in Exotel's words where Exotel has one. */
export const CALL_STATUSES = [
  'queued', 'initiated', 'ringing', 'in-progress', 'completed', 'busy', 'no-answer', 'failed', 'canceled'
] as const

export const CallStatus = Type.Union(CALL_STATUSES.map((status) => Type.Literal(status)), {
  description: 'queued, initiated, ringing, in-progress, then completed, busy, no-answer, failed or canceled'
})
