import { blockedReason } from '../calling-rules/rules.js'
import type { Database } from '../db/database.js'
import type { ExotelClient } from '../exotel/exotel-client.js'
import { createCall, type Call, type PinnedAssistant } from './calls.js'
import { dial } from './dialler.js'

/** A single call that may not be made, with the HTTP status it answers. */
export class CallRefusedError extends Error {
  constructor (readonly statusCode: 404 | 409, message: string) {
    super(message)
  }
}

export interface SingleCall {
  customerId: string
  assistant?: PinnedAssistant
  triggeredBy: string
  statusCallback: string
}

/**
 * Calls one customer now: the priority lane, dialled at once whatever batches are running, at any hour (calling
 * windows are batches'). Who may be called is the rule batches follow (lib/calling-rules/rules.ts), without the
 * attempt cap: a single call is a person's deliberate choice, so it counts toward the cap without being held by it.
 * Answers once Exotel has accepted the call.
 */
export async function callNow (db: Database, exotel: ExotelClient, request: SingleCall): Promise<Call> {
  const params: unknown[] = [request.customerId]
  const { rows } = await db.query<{ id: string, name: string | null, phone: string, blocked: string | null }>(
    `SELECT id, name, phone, ${blockedReason('customer.id', 'customer.phone', undefined, params)} AS blocked
     FROM customer WHERE id = $1`, params
  )
  const customer = rows[0]
  if (!customer) throw new CallRefusedError(404, 'Customer not found')
  if (customer.blocked === 'suppressed') throw new CallRefusedError(409, "This customer's number is on the suppression list")
  const queued = await createCall(db, {
    customerId: customer.id,
    customerName: customer.name,
    phone: customer.phone,
    triggeredBy: request.triggeredBy,
    claimed: true,
    assistant: request.assistant
  })
  return await dial(db, exotel, queued, request.statusCallback)
}
