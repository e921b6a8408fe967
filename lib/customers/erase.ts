import { randomUUID } from 'node:crypto'
import { campaignMayHaveEnded } from '../calls/completion.js'
import type { Database, Queryable } from '../db/database.js'

/** A customer on a call right now cannot be erased until it ends: a conflict (409), said as it is. */
export class CallInFlightError extends Error {
  readonly statusCode = 409
  readonly expose = true
}

/**
 * Deletes a customer and erases their personal data everywhere it is kept, in one transaction: their row; on their
 * calls the number, name, recording link and error text, each event's detail, and each conversation's transcript,
 * keys, outcome fields and problem; stored answers to repeated requests that quote them; their id in campaigns'
 * selections. What is left counts calls and outcomes but names no one: the calls keep their status, times and outcome
 * under an id of their own (`erased-...`). Calls queued for them are canceled. A do-not-call entry for their number
 * stays: it is what keeps them from being called again. Their recordings' rows go too: answers how many calls were
 * erased and the recordings whose files the caller removes once this is kept, or undefined when there is no such
 * customer.
 */
export async function eraseCustomer (db: Database, id: string):
Promise<{ calls: number, recordings: Array<{ storage: string, key: string }> } | undefined> {
  return await db.transaction(async (tx) => {
    const { rows: [customer] } = await tx.query<{ name: string | null, phone: string }>(
      'SELECT name, phone FROM customer WHERE id = $1 FOR UPDATE', [id])
    if (!customer) return undefined
    const { rowCount: live } = await tx.query(
      "SELECT 1 FROM call WHERE customer_id = $1 AND status IN ('initiated', 'ringing', 'in-progress')", [id])
    if (live > 0) throw new CallInFlightError('A call to this customer is in progress: delete them when it has ended')
    const { rows: canceled } = await tx.query<{ batch_id: string | null }>(
      `UPDATE call SET status = 'canceled', skip_reason = 'erased', updated_at = now(), reported_at = now()
       WHERE customer_id = $1 AND status = 'queued' RETURNING batch_id`, [id])
    const token = `erased-${randomUUID()}`
    const { rows: calls } = await tx.query<{ id: string }>(
      `UPDATE call SET customer_id = $2, customer_name = NULL, phone = 'erased', recording_url = NULL, error = NULL
       WHERE customer_id = $1 RETURNING id`, [id, token])
    const ids = calls.map((call) => call.id)
    await tx.query("UPDATE call_event SET detail = '{}' WHERE call_id = ANY($1::uuid[])", [ids])
    await tx.query(
      `UPDATE call_conversation SET transcript = '[]', outcome_detail = NULL, dtmf = '', problem = NULL
       WHERE call_id = ANY($1::uuid[])`, [ids])
    // Answers kept for requests sent again (a single call's names them, by number and name).
    await tx.query(
      'DELETE FROM idempotency_key WHERE strpos(response, $1) > 0 OR ($2::text IS NOT NULL AND strpos(response, $2) > 0)',
      [customer.phone, customer.name === null ? null : `"customer_name":${JSON.stringify(customer.name)}`])
    await tx.query(
      `UPDATE campaign SET selection = jsonb_set(selection, '{customer_ids}', (
         SELECT jsonb_agg(CASE WHEN listed = to_jsonb($1::text) THEN to_jsonb($2::text) ELSE listed END)
         FROM jsonb_array_elements(selection -> 'customer_ids') AS listed))
       WHERE selection -> 'customer_ids' ? $1`, [id, token])
    // Their voices: the rows go here, the files once this is kept (the caller removes them).
    const { rows: recordings } = await tx.query<{ storage: string, key: string }>(
      'DELETE FROM call_recording WHERE call_id = ANY($1::uuid[]) RETURNING storage, key', [ids])
    // What webhooks were to say, or said, of their calls.
    await tx.query("DELETE FROM webhook_delivery WHERE event = 'call.completed' AND payload -> 'data' ->> 'call_id' = ANY($1::text[])", [ids])
    await tx.query('DELETE FROM customer WHERE id = $1', [id])
    // A campaign whose last waiting call was theirs has ended.
    for (const batch of new Set(canceled.map((call) => call.batch_id))) if (batch) await campaignMayHaveEnded(tx, batch, new Date())
    return { calls: ids.length, recordings }
  })
}

/** Empties the transcripts of conversations that ended more than `days` days before `now`. Answers how many. */
export async function sweepTranscripts (db: Queryable, days: number, now: Date): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE call_conversation SET transcript = '[]'
     WHERE ended_at < $1::timestamptz - make_interval(days => $2) AND transcript <> '[]'`, [now, days])
  return rowCount
}
