import { applyReport, isTerminal, type Call } from '../calls/calls.js'
import type { Database } from '../db/database.js'
import type { ExotelCall, ExotelClient } from '../exotel/exotel-client.js'

export interface ReconcilePolicy {
  /** A call in flight with no news this long is looked up in Exotel's Call Details API. */
  reconcileAfterMs?: number
  /** A call dialled this long ago with no final status, from Exotel's callback or its Call Details, is failed. */
  callTimeoutMs: number
  /** A call claimed this long ago without an Exotel answer was being dialled by a run that ended. */
  claimTimeoutMs?: number
}

/** Calls claimed by a run that ended before Exotel answered: failed, never dialled again. */
export async function failInterrupted (db: Database, policy: ReconcilePolicy, now: Date): Promise<void> {
  const { rows: interrupted } = await db.query<{ id: string }>(
    `SELECT id FROM call WHERE status = 'queued' AND claimed_at < $2::timestamptz - $1 * interval '1 millisecond'
     AND exotel_sid IS NULL LIMIT 100`, [policy.claimTimeoutMs ?? 60_000, now]
  )
  for (const { id } of interrupted) {
    await applyReport(db, { id }, {
      status: 'failed',
      source: 'dispatcher',
      dedupeKey: 'interrupted',
      error: 'The server stopped while dialling: the customer may have been called, so the call is not retried'
    })
  }
}

/**
 * Calls in flight with no news for `reconcileAfterMs` (or untouched since `recoverBefore`, left by a run that
 * stopped) are looked up in Exotel's Call Details: a final status there is applied; past the timeout with none,
 * the call is failed; otherwise the check is noted and made again after another interval.
 */
export async function reconcile (db: Database, exotel: ExotelClient, policy: ReconcilePolicy, now: Date,
  recoverBefore?: Date): Promise<void> {
  const { rows } = await db.query<{ id: string, exotel_sid: string, status: Call['status'], overdue: boolean }>(
    `SELECT id, exotel_sid, status, dialled_at < $5::timestamptz - $2 * interval '1 millisecond' AS overdue
     FROM call WHERE status IN ('initiated', 'ringing', 'in-progress')
     AND (updated_at < $5::timestamptz - $1 * interval '1 millisecond' OR updated_at < $3) LIMIT $4`,
    // Never later than the timeout: a call is looked up before it may be failed.
    [Math.min(policy.reconcileAfterMs ?? policy.callTimeoutMs, policy.callTimeoutMs), policy.callTimeoutMs,
      recoverBefore ?? null, recoverBefore ? 1000 : 20, now]
  )
  for (const { id, exotel_sid: sid, status, overdue } of rows) {
    let record: ExotelCall | undefined
    let problem: string | undefined
    try {
      record = await exotel.callDetails(sid)
    } catch (error) {
      problem = (error as Error).message
    }
    const detail = { via: 'exotel-call-details', exotel_status: record?.status ?? null, ...problem ? { problem } : {} }
    if (record && isTerminal(record.status)) {
      await applyReport(db, { id }, {
        status: record.status,
        source: 'reconciliation',
        dedupeKey: 'reconciled',
        durationSeconds: record.duration ?? undefined,
        recordingUrl: record.recordingUrl ?? undefined,
        detail
      })
    } else if (overdue) {
      await applyReport(db, { id }, {
        status: 'failed', source: 'reconciliation', dedupeKey: 'timeout', error: 'No final status from Exotel in time', detail
      })
    } else {
      // Still going on at Exotel, or Exotel did not answer: noted, and asked again after another interval. The
      // status stays: Exotel's `in-progress` covers ringing too, so it does not say the customer answered.
      await applyReport(db, { id }, { status, source: 'reconciliation', dedupeKey: `checked-${now.getTime()}`, detail })
    }
  }
}
