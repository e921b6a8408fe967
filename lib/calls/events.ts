import type { Queryable } from '../db/database.js'
import type { Call } from './calls.js'
import type { ConversationChange } from './conversation.js'

/** The channel every instance listens on for call and batch changes. */
export const EVENTS_CHANNEL = 'vcm_events'

export type LiveEvent =
  | { type: 'call', call: Pick<Call, 'id' | 'customer_id' | 'batch_id' | 'attempt' | 'status' | 'exotel_sid'> & { updated_at: string } }
  | { type: 'batch', batch: { id: string, change: 'queued' | 'canceled' | 'ended' | 'paused' | 'resumed', calls: number } }
  | { type: 'conversation', conversation: { call_id: string, batch_id?: string | null } & ConversationChange }

/**
 * Announces a change to every instance's listeners. Sent inside the change's transaction, it is delivered when
 * (and only if) the change commits.
 */
export async function announce (tx: Queryable, event: LiveEvent): Promise<void> {
  await tx.query('SELECT pg_notify($1, $2)', [EVENTS_CHANNEL, JSON.stringify(event)])
}

export function callEvent (call: Call): LiveEvent {
  return {
    type: 'call',
    call: {
      id: call.id,
      customer_id: call.customer_id,
      batch_id: call.batch_id,
      attempt: call.attempt,
      status: call.status,
      exotel_sid: call.exotel_sid,
      updated_at: new Date(call.updated_at).toISOString()
    }
  }
}
