import { getCall, type Call, type CallEvent } from '../calls/calls.js'
import type { Conversation } from '../calls/conversation.js'
import type { Queryable } from '../db/database.js'
import { getCustomer, type Customer } from './repository.js'

/** Everything kept about one customer, as an access request asks for it. */
export interface CustomerRecord {
  customer: Customer
  /** Every call to them, oldest first, each with its timeline and conversation (transcript, keys, outcome). */
  calls: Array<Call & { events: CallEvent[], conversation: Conversation | null }>
  /** Their number's entry on the do-not-call list, if it has one. */
  suppression: { phone: string, reason: string | null, created_by: string, created_at: Date } | null
}

/**
 * What this server keeps about a customer (India's DPDP Act gives a person the right to know it): their record,
 * their calls with timelines and conversations, and their do-not-call entry. Undefined for an unknown customer.
 */
export async function exportCustomer (db: Queryable, id: string): Promise<CustomerRecord | undefined> {
  const customer = await getCustomer(db, id)
  if (!customer) return undefined
  const { rows: ids } = await db.query<{ id: string }>('SELECT id FROM call WHERE customer_id = $1 ORDER BY created_at, id', [id])
  const calls = []
  for (const { id: callId } of ids) calls.push((await getCall(db, callId))!)
  const { rows: suppressed } = await db.query<CustomerRecord['suppression'] & object>(
    'SELECT phone, reason, created_by, created_at FROM suppression WHERE phone = $1', [customer.phone])
  return { customer, calls, suppression: suppressed[0] ?? null }
}
