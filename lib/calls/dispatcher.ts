import type { Database, Queryable } from '../db/database.js'
import type { ExotelCall, ExotelClient } from '../exotel/exotel-client.js'
import { cancelWaiting } from './batches.js'
import { applyReport, COLUMNS, isTerminal, type Call, type RetryPolicy } from './calls.js'
import { isOpen, nextOpening, type CallingWindow } from '../calling-rules/calling-window.js'
import { dial } from './dialler.js'
import { announce } from './events.js'
import { blockedReason, type AttemptCap, type SkipReason } from '../calling-rules/rules.js'

export interface DispatchPolicy {
  /** Most calls dialled in any minute, counted over every instance (single calls included). */
  callsPerMinute: number
  /** Most calls in flight at once: claimed for dialling, or dialled and not yet ended. */
  maxInFlight: number
  /** A call in flight with no news this long is looked up in Exotel's Call Details API (reconciliation). */
  reconcileAfterMs?: number
  /** A call dialled this long ago with no final status, from Exotel's callback or its Call Details, is failed. */
  callTimeoutMs: number
  /** A call claimed this long ago without an Exotel answer was being dialled by a run that ended. */
  claimTimeoutMs?: number
  /** How often to look for work when none is due sooner (default 250 ms); a call due sooner is dialled on time. */
  tickMs?: number
  /** Busy and unanswered batch calls are dialled again (applied as their status arrives). */
  retry: RetryPolicy
  /** Lines of maxInFlight that batches leave free for single calls (the priority lane). */
  priorityLines: number
  /** The calling window of a batch queued without one. */
  defaultWindow: CallingWindow
  /** Most dials to one customer in a period, over every batch. */
  attemptCap?: AttemptCap
}

export interface DispatcherOptions {
  db: Database
  exotel: ExotelClient
  statusCallbackUrl: () => string
  policy: DispatchPolicy
  onError?: (error: unknown, call?: Call) => void
}

/** A batch's own rules, as the claim reads them. */
interface BatchRules {
  window: CallingWindow
  end_at: string | null
}

function inSchedule (schedule: BatchRules, now: Date): boolean {
  return (!schedule.end_at || new Date(schedule.end_at) > now) && isOpen(schedule.window, now)
}

/** The calls of a batch past its end_at that were not dialled: skipped, outside-window. */
async function skipWaiting (tx: Queryable, batchId: string, claimedNow: string[] = []): Promise<void> {
  const skipped = await cancelWaiting(tx, batchId,
    { reason: 'outside-window', source: 'dispatcher', dedupeKey: 'skipped', detail: { reason: 'outside-window' } }, claimedNow)
  await announce(tx, { type: 'batch', batch: { id: batchId, change: 'ended', calls: skipped } })
}

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

/** The calls due, each with its batch's turn (fair share), as the CTE `due`; $1 is how many to claim. */
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
      WHERE call.batch_id = waiting.batch_id AND status = 'queued' AND claimed_at IS NULL AND not_before <= now()
      ORDER BY not_before, created_at LIMIT $1
    ) first
    LEFT JOIN share ON share.batch_id = waiting.batch_id
  )`

const DISPATCH_LOCK = 727_001 // one dispatcher at a time decides, whatever the number of instances
const MAX_CLAIM = 50

/**
 * Dials queued batch calls. The queue is the call table: each tick, under a transaction-scoped advisory lock (so
 * that instances take turns), it counts the calls in flight and those dialled in the last minute, claims as many
 * waiting calls as the policy allows (spaced evenly through the minute), and dials them. A claimed call is never
 * claimed again, so a crash between claim and dial cannot dial a customer twice: such a call, still without an
 * Exotel Sid once any dial would have timed out, is closed as failed, since Exotel may or may not have dialled it.
 */
export class Dispatcher {
  readonly #options: DispatcherOptions
  #timer: NodeJS.Timeout | undefined
  #running: Promise<unknown> | undefined
  /** When the rate next allows a dial, if sooner than the next tick. */
  #dueInMs: number | undefined
  #lastExpiry = 0
  /**
   * Calls in flight untouched since before this dispatcher was made were left by a run that stopped (a crash, a
   * restart): they hold lines, so the first sweep looks each of them up in Exotel's Call Details at once, rather
   * than after `reconcileAfterMs`, and frees the lines of those that ended.
   */
  #recoverBefore: Date | undefined = new Date()

  constructor (options: DispatcherOptions) {
    this.#options = options
  }

  get policy (): DispatchPolicy {
    return this.#options.policy
  }

  /** Looks for work every tick. */
  start (): void {
    const tickMs = this.#options.policy.tickMs ?? 250
    const round = () => {
      this.#running = this.tick().catch((error: unknown) => this.#options.onError?.(error)).then(() => {
        this.#timer = setTimeout(round, Math.max(5, Math.min(tickMs, this.#dueInMs ?? tickMs)))
      })
    }
    this.#timer = setTimeout(round, 0)
  }

  /** Stops looking for work, and waits for the dials under way. */
  async stop (): Promise<void> {
    await this.#running // a round under way ends, and sets the timer of the next
    clearTimeout(this.#timer)
  }

  /** One round: claims what the policy allows and dials it; then expires calls past their timeout. Answers how many it dialled. */
  async tick (): Promise<number> {
    let statusCallback: string
    try {
      statusCallback = this.#options.statusCallbackUrl()
    } catch {
      return 0 // nowhere for Exotel to report to yet (not listening): nothing is dialled
    }
    const { dial: claimed, skip } = await this.#claim()
    for (const { call, reason } of skip) {
      await applyReport(this.#options.db, { id: call.id }, {
        status: 'canceled', source: 'dispatcher', dedupeKey: 'skipped', skipReason: reason, detail: { reason }
      })
    }
    await Promise.all(claimed.map(async (call) => {
      try {
        await dial(this.#options.db, this.#options.exotel, call, statusCallback)
      } catch (error) {
        this.#options.onError?.(error, call) // recorded on the call by dial
      }
    }))
    if (Date.now() - this.#lastExpiry >= 1000) {
      this.#lastExpiry = Date.now()
      await this.#expire()
    }
    return claimed.length
  }

  /**
   * Claims the calls to dial now. Batches share fairly: the next call is the one of the batch using least (its
   * calls in flight and dialled in the last minute), so a small batch is not stuck behind a large one. They leave
   * `priorityLines` free for single calls, which are dialled at once by their request. Right before
   * a dial each call is checked again: a suppressed or capped one is skipped; one whose batch's calling window is
   * closed waits, with the rest of its batch, for the next opening; past the batch's end_at, they are skipped.
   */
  async #claim (): Promise<{ dial: Call[], skip: Array<{ call: Call, reason: SkipReason }> }> {
    const { db, policy } = this.#options
    this.#dueInMs = undefined
    const nothing = { dial: [], skip: [] }
    const waiting = await db.query(
      "SELECT 1 FROM call WHERE status = 'queued' AND claimed_at IS NULL AND not_before <= now() LIMIT 1"
    )
    if (waiting.rowCount === 0) return nothing
    return await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [DISPATCH_LOCK])
      const { rows } = await tx.query<{ in_flight: number, single: number, last_minute: number, since_last_ms: number | null }>(COUNTS_SQL)
      const { in_flight: inFlight, single, last_minute: lastMinute, since_last_ms: sinceLast } = rows[0]!
      const spacingMs = 60_000 / policy.callsPerMinute
      // Calls are spaced evenly: one per spacing since the last one dialled (one at once after a quiet minute).
      const sinceLastMs = Number(sinceLast ?? spacingMs)
      const paced = Math.floor(sinceLastMs / spacingMs)
      // Single calls in flight use the priority lines first; batches have what is left.
      const lines = policy.maxInFlight - Math.max(policy.priorityLines, Number(single)) - (Number(inFlight) - Number(single))
      const allowed = Math.min(lines, policy.callsPerMinute - lastMinute, paced, MAX_CLAIM)
      this.#dueInMs = allowed > 0 ? spacingMs : spacingMs - sinceLastMs % spacingMs
      if (allowed <= 0) return nothing
      const params: unknown[] = [allowed]
      const { rows: claimed } = await tx.query<Call & { blocked: SkipReason | null, schedule: BatchRules | null }>(
        `${DUE_SQL}
         UPDATE call SET claimed_at = clock_timestamp(), updated_at = now()
         WHERE id IN (SELECT id FROM due ORDER BY turn, not_before, created_at LIMIT $1)
           AND status = 'queued' AND claimed_at IS NULL
         RETURNING ${COLUMNS}, ${blockedReason('call.customer_id', 'call.phone', policy.attemptCap, params)} AS blocked,
           (SELECT jsonb_build_object('window', calling_window, 'end_at', end_at) FROM call_batch
            WHERE call_batch.id = call.batch_id) AS schedule`, params
      )
      const result: { dial: Call[], skip: Array<{ call: Call, reason: SkipReason }> } = { dial: [], skip: [] }
      const closed = new Map<string, { schedule: BatchRules, claimed: string[] }>()
      const now = new Date()
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
      for (const [batchId, { schedule, claimed }] of closed) await this.#defer(tx, batchId, schedule, claimed, now)
      return result
    })
  }

  /**
   * A batch whose calling window is closed: its waiting calls (those just claimed included) wait for the next
   * opening, recorded in each one's timeline; when that is past the batch's end_at, they are skipped instead.
   */
  async #defer (tx: Queryable, batchId: string, schedule: BatchRules, claimedNow: string[], now: Date): Promise<void> {
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

  /**
   * Calls claimed by a run that ended before Exotel answered: failed, never dialled again. Calls in flight past
   * the timeout: Exotel's record decides; with none, the call is failed.
   */
  async #expire (): Promise<void> {
    const { db, exotel, policy } = this.#options
    // Batches past their end_at with calls still waiting (for the rate, or lines): those are skipped.
    const { rows: ended } = await db.query<{ id: string }>(
      `SELECT id FROM call_batch WHERE end_at <= now() AND EXISTS (
         SELECT 1 FROM call WHERE call.batch_id = call_batch.id AND status = 'queued' AND claimed_at IS NULL)`
    )
    for (const { id } of ended) {
      await db.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1)', [DISPATCH_LOCK])
        await skipWaiting(tx, id)
      })
    }
    const { rows: interrupted } = await db.query<{ id: string }>(
      `SELECT id FROM call WHERE status = 'queued' AND claimed_at < now() - $1 * interval '1 millisecond'
       AND exotel_sid IS NULL LIMIT 100`, [policy.claimTimeoutMs ?? 60_000]
    )
    for (const { id } of interrupted) {
      await applyReport(db, { id }, {
        status: 'failed',
        source: 'dispatcher',
        dedupeKey: 'interrupted',
        error: 'The server stopped while dialling: the customer may have been called, so the call is not retried'
      })
    }
    const recoverBefore = this.#recoverBefore
    this.#recoverBefore = undefined
    const { rows } = await db.query<{ id: string, exotel_sid: string, status: Call['status'], overdue: boolean }>(
      `SELECT id, exotel_sid, status, dialled_at < now() - $2 * interval '1 millisecond' AS overdue
       FROM call WHERE status IN ('initiated', 'ringing', 'in-progress')
       AND (updated_at < now() - $1 * interval '1 millisecond' OR updated_at < $3) LIMIT $4`,
      // Never later than the timeout: a call is looked up before it may be failed.
      [Math.min(policy.reconcileAfterMs ?? policy.callTimeoutMs, policy.callTimeoutMs), policy.callTimeoutMs,
        recoverBefore ?? null, recoverBefore ? 1000 : 20]
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
        }, policy.retry)
      } else if (overdue) {
        await applyReport(db, { id }, {
          status: 'failed', source: 'reconciliation', dedupeKey: 'timeout', error: 'No final status from Exotel in time', detail
        })
      } else {
        // Still going on at Exotel, or Exotel did not answer: noted, and asked again after another interval. The
        // status stays: Exotel's `in-progress` covers ringing too, so it does not say the customer answered.
        await applyReport(db, { id }, { status, source: 'reconciliation', dedupeKey: `checked-${Date.now()}`, detail })
      }
    }
  }
}
