import type { Database } from '../db/database.js'
import type { ExotelClient } from '../exotel/exotel-client.js'
import { applyReport, isTerminal, type Call, type RetryPolicy } from './calls.js'
import { dial } from './dialler.js'

export interface DispatchPolicy {
  /** Most calls dialled in any minute, counted over every instance (single calls included). */
  callsPerMinute: number
  /** Most calls in flight at once: claimed for dialling, or dialled and not yet ended. */
  maxInFlight: number
  /** A call with no final status after this long is looked up at Exotel, then failed. */
  callTimeoutMs: number
  /** A call claimed this long ago without an Exotel answer was being dialled by a run that ended. */
  claimTimeoutMs?: number
  /** How often to look for work when none is due sooner (default 250 ms); a call due sooner is dialled on time. */
  tickMs?: number
  /** Busy and unanswered batch calls are dialled again (applied as their status arrives). */
  retry: RetryPolicy
}

export interface DispatcherOptions {
  db: Database
  exotel: ExotelClient
  statusCallbackUrl: () => string
  policy: DispatchPolicy
  onError?: (error: unknown, call?: Call) => void
}

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
    const claimed = await this.#claim()
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

  async #claim (): Promise<Call[]> {
    const { db, policy } = this.#options
    this.#dueInMs = undefined
    const waiting = await db.query(
      "SELECT 1 FROM call WHERE status = 'queued' AND claimed_at IS NULL AND not_before <= now() LIMIT 1"
    )
    if (waiting.rowCount === 0) return []
    return await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [DISPATCH_LOCK])
      const { rows } = await tx.query<{ in_flight: number, last_minute: number, since_last_ms: number | null }>(
        `SELECT
           count(*) FILTER (WHERE status IN ('initiated', 'ringing', 'in-progress') OR claimed_at IS NOT NULL
             AND status = 'queued') AS in_flight,
           count(*) FILTER (WHERE COALESCE(claimed_at, dialled_at) > clock_timestamp() - interval '1 minute') AS last_minute,
           extract(epoch FROM clock_timestamp() - max(COALESCE(claimed_at, dialled_at))) * 1000 AS since_last_ms
         FROM call
         WHERE status IN ('initiated', 'ringing', 'in-progress')
            OR (status = 'queued' AND claimed_at IS NOT NULL)
            OR COALESCE(claimed_at, dialled_at) > clock_timestamp() - interval '1 minute'`
      )
      const { in_flight: inFlight, last_minute: lastMinute, since_last_ms: sinceLast } = rows[0]!
      const spacingMs = 60_000 / policy.callsPerMinute
      // Calls are spaced evenly: one per spacing since the last one dialled (one at once after a quiet minute).
      const sinceLastMs = Number(sinceLast ?? spacingMs)
      const paced = Math.floor(sinceLastMs / spacingMs)
      const allowed = Math.min(policy.maxInFlight - inFlight, policy.callsPerMinute - lastMinute, paced, MAX_CLAIM)
      this.#dueInMs = allowed > 0 ? spacingMs : spacingMs - sinceLastMs % spacingMs
      if (allowed <= 0) return []
      const { rows: claimed } = await tx.query<Call>(
        `UPDATE call SET claimed_at = clock_timestamp(), updated_at = now()
         WHERE id IN (
           SELECT id FROM call WHERE status = 'queued' AND claimed_at IS NULL AND not_before <= now()
           ORDER BY not_before, created_at LIMIT $1 FOR UPDATE SKIP LOCKED
         )
         RETURNING *`, [allowed]
      )
      return claimed
    })
  }

  /**
   * Calls claimed by a run that ended before Exotel answered: failed, never dialled again. Calls in flight past
   * the timeout: Exotel's record decides; with none, the call is failed.
   */
  async #expire (): Promise<void> {
    const { db, exotel, policy } = this.#options
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
    const { rows } = await db.query<{ id: string, exotel_sid: string }>(
      `SELECT id, exotel_sid FROM call WHERE status IN ('initiated', 'ringing', 'in-progress')
       AND updated_at < now() - $1 * interval '1 millisecond' LIMIT 20`, [policy.callTimeoutMs]
    )
    for (const { id, exotel_sid: sid } of rows) {
      const record = await exotel.callDetails(sid).catch(() => undefined)
      const status = record && isTerminal(record.status) ? record.status : 'failed'
      await applyReport(db, { id }, {
        status,
        source: 'dispatcher',
        dedupeKey: 'timeout',
        durationSeconds: record?.duration ?? undefined,
        error: status === 'failed' ? 'No final status from Exotel in time' : undefined
      })
    }
  }
}
