import { cancelWaiting } from '../campaigns/waiting.js'
import { announce } from '../calls/events.js'
import { isOpen, nextOpening, type CallingWindow } from '../calling-rules/calling-window.js'
import type { Database, Queryable } from '../db/database.js'

/** One dispatcher at a time decides, whatever the number of instances. */
export const DISPATCH_LOCK = 727_001

/** A batch's own rules, as the claim reads them. */
export interface BatchSchedule {
  window: CallingWindow
  end_at: string | null
}

/** Whether a batch may be dialled at `now`: before its end_at, in its calling window. */
export function inSchedule (schedule: BatchSchedule, now: Date): boolean {
  return (!schedule.end_at || new Date(schedule.end_at) > now) && isOpen(schedule.window, now)
}

/** The calls of a batch past its end_at that were not dialled: skipped, outside-window. */
async function skipWaiting (tx: Queryable, batchId: string, claimedNow: string[] = []): Promise<void> {
  const skipped = await cancelWaiting(tx, batchId,
    { reason: 'outside-window', source: 'dispatcher', dedupeKey: 'skipped', detail: { reason: 'outside-window' } }, claimedNow)
  await announce(tx, { type: 'batch', batch: { id: batchId, change: 'ended', calls: skipped } })
}

/**
 * A batch whose calling window is closed: its waiting calls (those just claimed included) wait for the next
 * opening, recorded in each one's timeline; when that is past the batch's end_at, they are skipped instead.
 */
export async function deferBatch (tx: Queryable, batchId: string, schedule: BatchSchedule, claimedNow: string[], now: Date): Promise<void> {
  const opening = nextOpening(schedule.window, now)
  const endAt = schedule.end_at ? new Date(schedule.end_at) : undefined
  if (endAt && opening >= endAt) {
    await skipWaiting(tx, batchId, claimedNow)
    return
  }
  // Calls claimed by an earlier round are being dialled: only those of this round and unclaimed ones wait.
  await tx.query(
    `WITH deferred AS (
       UPDATE call SET not_before = $2, claimed_at = NULL, updated_at = now()
       WHERE batch_id = $1 AND status = 'queued' AND (claimed_at IS NULL OR id = ANY($4::uuid[])) AND not_before < $2
       RETURNING id
     )
     INSERT INTO call_event (call_id, status, source, dedupe_key, detail)
     SELECT id, 'queued', 'dispatcher', 'deferred-' || $3::text, jsonb_build_object('reason', 'outside-window', 'until', $3::text)
     FROM deferred ON CONFLICT (call_id, dedupe_key) DO NOTHING`, [batchId, opening, opening.toISOString(), claimedNow]
  )
}

/** Batches past their end_at with calls still waiting (for the rate, or lines): those calls are skipped. */
export async function skipEndedBatches (db: Database, now: Date): Promise<void> {
  const { rows: ended } = await db.query<{ id: string }>(
    `SELECT id FROM campaign WHERE end_at <= $1 AND EXISTS (
       SELECT 1 FROM call WHERE call.batch_id = campaign.id AND status = 'queued' AND claimed_at IS NULL)`, [now]
  )
  for (const { id } of ended) {
    await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [DISPATCH_LOCK])
      await skipWaiting(tx, id)
    })
  }
}
