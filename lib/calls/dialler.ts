import type { Database } from '../db/database.js'
import { ExotelError, type ExotelClient } from '../exotel/exotel-client.js'
import { chooseCallerId } from '../exotel/caller-ids.js'
import { applyReport, type Call } from './calls.js'

/**
 * Dials a queued call through Exotel and records the outcome: `initiated` with Exotel's Call Sid (kept at once:
 * every later report correlates on it), or `failed` with the reason. A connect whose outcome is unknown is
 * recorded as failed too, with a reason saying the customer may have been called: it is never re-dialled blindly.
 */
export async function dial (db: Database, exotel: ExotelClient, call: Call, statusCallback: string): Promise<Call> {
  try {
    // A campaign's own numbers, else the server's pool; kept before the dial, so that dials on other instances meanwhile count it.
    const own = call.batch_id && exotel.callerIds.length > 1 // (a campaign's numbers are out of the pool: with one, it is that one)
      ? (await db.query<{ caller_ids: string[] | null }>('SELECT caller_ids FROM campaign WHERE id = $1', [call.batch_id])).rows[0]?.caller_ids
      : null
    const callerId = await chooseCallerId(db, own ?? exotel.callerIds, call.customer_id)
    await db.query('UPDATE call SET caller_id = $2 WHERE id = $1', [call.id, callerId])
    const placed = await exotel.connect({ to: call.phone, customField: call.id, statusCallback, callerId })
    const result = await applyReport(db, { id: call.id }, {
      status: 'initiated',
      source: 'api',
      dedupeKey: 'dialled',
      exotelSid: placed.sid,
      detail: { exotel_status: placed.status }
    })
    return result!.call
  } catch (error) {
    // Whatever went wrong, the call is closed as failed: a call left queued would block its customer.
    const exotel = error instanceof ExotelError ? error : undefined
    await applyReport(db, { id: call.id }, {
      status: 'failed',
      source: 'api',
      dedupeKey: 'dial-failed',
      error: exotel?.message ?? 'The call could not be placed',
      detail: { exotel_status: exotel?.exotelStatus ?? null, outcome_unknown: exotel?.outcomeUnknown ?? false }
    })
    throw error
  }
}
