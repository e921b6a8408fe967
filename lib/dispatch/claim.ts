import { COLUMNS, type Call } from '../calls/calls.js'
import { blockedReason, type AttemptCap, type SkipReason } from '../calling-rules/rules.js'
import type { Database } from '../db/database.js'
import { allowance, type PacingLimits } from './pacing.js'
import { deferBatch, DISPATCH_LOCK, inSchedule, type BatchSchedule } from './schedule.js'

/** Calls in flight: dialled and not ended, or claimed and being dialled. Each part is read through its own index. */
const IN_FLIGHT = `SELECT id, batch_id, claimed_at FROM call WHERE status IN ('initiated', 'ringing', 'in-progress')
  UNION ALL SELECT id, batch_id, claimed_at FROM call WHERE status = 'queued' AND claimed_at IS NOT NULL`
/** Calls claimed in the last minute: what the rate counts. */
const LAST_MINUTE = "SELECT id, batch_id, claimed_at FROM call WHERE claimed_at > now() - interval '1 minute'"

/** A round's counts: calls in flight (single calls apart), claimed in the last minute, and ms since the last claim. */
export const COUNTS_SQL = `WITH live AS (${IN_FLIGHT}), recent AS (${LAST_MINUTE})
  SELECT (SELECT count(*) FROM live)::int AS in_flight,
    (SELECT count(*) FROM live WHERE batch_id IS NULL)::int AS single,
    (SELECT count(*) FROM recent)::int AS last_minute,
    extract(epoch FROM clock_timestamp() - (SELECT max(claimed_at) FROM (
      SELECT claimed_at FROM live UNION ALL SELECT claimed_at FROM recent) seen)) * 1000 AS since_last_ms`

/**
 * The calls due, each with its batch's turn (fair share), as the CTE `due`; $1 is how many to claim, $2 the time
 * they are due by.
 */
export const DUE_SQL = `WITH RECURSIVE waiting AS (
    -- The batches with calls waiting, one index probe each (a loose index scan).
    (SELECT batch_id FROM call WHERE status = 'queued' AND claimed_at IS NULL AND batch_id IS NOT NULL
     ORDER BY batch_id LIMIT 1)
    UNION ALL
    SELECT (SELECT next.batch_id FROM call next WHERE next.status = 'queued' AND next.claimed_at IS NULL
            AND next.batch_id > waiting.batch_id ORDER BY next.batch_id LIMIT 1)
    FROM waiting WHERE waiting.batch_id IS NOT NULL
  ),
  share AS (
    SELECT batch_id, count(*) AS used FROM (${IN_FLIGHT} UNION ${LAST_MINUTE}) busy GROUP BY batch_id
  ),
  due AS (
    -- The first calls due of each batch, numbered; a batch's turn is its number plus what it already uses.
    SELECT first.id, first.not_before, first.created_at, COALESCE(share.used, 0) + first.n AS turn
    FROM waiting
    CROSS JOIN LATERAL (
      SELECT id, not_before, created_at, row_number() OVER (ORDER BY not_before, created_at) AS n FROM call
      WHERE call.batch_id = waiting.batch_id AND status = 'queued' AND claimed_at IS NULL AND not_before <= $2
      ORDER BY not_before, created_at LIMIT $1
    ) first
    LEFT JOIN share ON share.batch_id = waiting.batch_id
    -- A paused campaign's calls wait for it to resume.
    WHERE waiting.batch_id NOT IN (SELECT id FROM campaign WHERE paused_at IS NOT NULL)
  )`

export interface Claimed {
  /** Calls to dial now. */
  dial: Call[]
  /** Calls that may not be dialled (suppressed, capped), with why. */
  skip: Array<{ call: Call, reason: SkipReason }>
  /** When the rate next allows a claim, if known. */
  dueInMs?: number
}

/**
 * Claims the calls to dial now, under a transaction-scoped advisory lock (so that instances take turns). Batches
 * share fairly: the next call is the one of the batch using least (its calls in flight and dialled in the last
 * minute), so a small batch is not stuck behind a large one. Right before a dial each call is checked again: a
 * suppressed or capped one is skipped; one whose batch's calling window is closed waits, with the rest of its
 * batch, for the next opening; past the batch's end_at, they are skipped. A claimed call is never claimed again.
 * `now` is the dispatcher's clock: what is due, and whether windows are open. The rate is kept in the database's
 * own time (when calls were claimed).
 */
export async function claimDue (db: Database, limits: PacingLimits, attemptCap: AttemptCap | undefined, now: Date): Promise<Claimed> {
  const waiting = await db.query(
    `SELECT 1 FROM call WHERE status = 'queued' AND claimed_at IS NULL AND not_before <= $1
     AND batch_id NOT IN (SELECT id FROM campaign WHERE paused_at IS NOT NULL) LIMIT 1`, [now]
  )
  if (waiting.rowCount === 0) return { dial: [], skip: [] }
  return await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [DISPATCH_LOCK])
    const { rows } = await tx.query<{ in_flight: number, single: number, last_minute: number, since_last_ms: number | null }>(COUNTS_SQL)
    const counts = rows[0]!
    const { allowed, dueInMs } = allowance({
      inFlight: Number(counts.in_flight),
      single: Number(counts.single),
      lastMinute: Number(counts.last_minute),
      sinceLastMs: counts.since_last_ms === null ? null : Number(counts.since_last_ms)
    }, limits)
    const result: Claimed = { dial: [], skip: [], dueInMs }
    if (allowed <= 0) return result
    const params: unknown[] = [allowed, now]
    const { rows: claimed } = await tx.query<Call & { blocked: SkipReason | null, schedule: BatchSchedule | null }>(
      `${DUE_SQL}
       UPDATE call SET claimed_at = clock_timestamp(), updated_at = now()
       WHERE id IN (SELECT id FROM due ORDER BY turn, not_before, created_at LIMIT $1)
         AND status = 'queued' AND claimed_at IS NULL
       RETURNING ${COLUMNS}, ${blockedReason('call.customer_id', 'call.phone', attemptCap, params)} AS blocked,
         (SELECT jsonb_build_object('window', calling_window, 'end_at', end_at) FROM campaign
          WHERE campaign.id = call.batch_id) AS schedule`, params
    )
    const closed = new Map<string, { schedule: BatchSchedule, claimed: string[] }>()
    for (const { blocked, schedule, ...call } of claimed) {
      // Every claimed call is a batch's (single calls are claimed by their request).
      const batch = closed.get(call.batch_id!)
      if (batch) {
        batch.claimed.push(call.id)
      } else if (!inSchedule(schedule!, now)) {
        closed.set(call.batch_id!, { schedule: schedule!, claimed: [call.id] })
      } else if (blocked) {
        result.skip.push({ call, reason: blocked })
      } else {
        result.dial.push(call)
      }
    }
    for (const [batchId, { schedule, claimed }] of closed) await deferBatch(tx, batchId, schedule, claimed, now)
    return result
  })
}
