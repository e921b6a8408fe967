import { applyReport, type Call } from '../calls/calls.js'
import { dial } from '../calls/dialler.js'
import type { CampaignPolicy } from '../calling-rules/policy.js'
import type { Database } from '../db/database.js'
import type { ExotelClient } from '../exotel/exotel-client.js'
import { claimDue } from './claim.js'
import type { PacingLimits } from './pacing.js'
import { failInterrupted, reconcile, type ReconcilePolicy } from './reconcile.js'
import { skipEndedBatches } from './schedule.js'

/** The limits the claim keeps (pacing.ts) and the timeouts the sweeps apply (reconcile.ts), with the loop's own tick. */
export interface DispatchPolicy extends Omit<PacingLimits, 'maxClaim'>, ReconcilePolicy {
  /** How often to look for work when none is due sooner (default 250 ms); a call due sooner is dialled on time. */
  tickMs?: number
}

export interface DispatcherOptions {
  db: Database
  exotel: ExotelClient
  statusCallbackUrl: () => string
  policy: DispatchPolicy
  /** The attempt cap the claim applies (retries are each campaign's own rules). */
  campaign: Partial<Pick<CampaignPolicy, 'attemptCap'>>
  onError?: (error: unknown, call?: Call) => void
  /**
   * The time, in ms since the epoch (default Date.now): what is due, calling windows, end_at and the sweeps go by
   * it; tests move it instead of waiting.
   */
  clock?: () => number
  /** Other upkeep, run with the sweeps (each decides how often it has work): retention. */
  upkeep?: Array<(db: Database, now: Date) => Promise<unknown>>
}

const MAX_CLAIM = 50
/** How often calls past their timeouts are looked for. */
const SWEEP_MS = 1000

/**
 * Dials queued batch calls. The queue is the call table: each round claims what the pacing allows (lib/dispatch/
 * claim.ts) and dials it; once a second it also sweeps: batches past their end, calls a stopped run was dialling,
 * and calls in flight with no news (reconcile.ts). A claimed call is never claimed again, so a crash between
 * claim and dial cannot dial a customer twice: such a call is closed as failed, since Exotel may or may not have
 * dialled it.
 */
export class Dispatcher {
  readonly #options: DispatcherOptions
  readonly #clock: () => number
  #timer: NodeJS.Timeout | undefined
  #running: Promise<unknown> | undefined
  /** When the rate next allows a dial, if sooner than the next tick. */
  #dueInMs: number | undefined
  #lastSweep = -Infinity
  /** False once draining: nothing more is claimed here; the sweeps and the upkeep go on. */
  #claiming = true
  /**
   * Calls in flight untouched since before this dispatcher was made were left by a run that stopped (a crash, a
   * restart): they hold lines, so the first sweep looks each of them up in Exotel's Call Details at once, rather
   * than after `reconcileAfterMs`, and frees the lines of those that ended.
   */
  #recoverBefore: Date | undefined

  constructor (options: DispatcherOptions) {
    this.#options = options
    this.#clock = options.clock ?? Date.now
    this.#recoverBefore = new Date(this.#clock())
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

  /** Claims nothing more (a drain: other instances dial the queue); the sweeps and the upkeep go on. */
  stopClaiming (): void {
    this.#claiming = false
  }

  /** Stops looking for work, and waits for the dials under way. */
  async stop (): Promise<void> {
    await this.#running // a round under way ends, and sets the timer of the next
    clearTimeout(this.#timer)
  }

  /** One round: claims what the policy allows and dials it; then sweeps, once a second. Answers how many it dialled. */
  async tick (): Promise<number> {
    let statusCallback: string
    try {
      statusCallback = this.#options.statusCallbackUrl()
    } catch {
      return 0 // nowhere for Exotel to report to yet (not listening): nothing is dialled
    }
    const { db, exotel, policy, campaign } = this.#options
    const claimed = this.#claiming
      ? await claimDue(db, { ...policy, maxClaim: MAX_CLAIM }, campaign.attemptCap, new Date(this.#clock()))
      : { dial: [], skip: [], dueInMs: undefined }
    this.#dueInMs = claimed.dueInMs
    for (const { call, reason } of claimed.skip) {
      await applyReport(db, { id: call.id }, {
        status: 'canceled', source: 'dispatcher', dedupeKey: 'skipped', skipReason: reason, detail: { reason }
      })
    }
    await Promise.all(claimed.dial.map(async (call) => {
      try {
        await dial(db, exotel, call, statusCallback)
      } catch (error) {
        this.#options.onError?.(error, call) // recorded on the call by dial
      }
    }))
    const now = this.#clock()
    if (now - this.#lastSweep >= SWEEP_MS) {
      this.#lastSweep = now
      await this.#sweep(new Date(now))
    }
    return claimed.dial.length
  }

  async #sweep (now: Date): Promise<void> {
    const { db, exotel, policy } = this.#options
    await skipEndedBatches(db, now)
    await failInterrupted(db, policy, now)
    const recoverBefore = this.#recoverBefore
    this.#recoverBefore = undefined
    await reconcile(db, exotel, policy, now, recoverBefore)
    for (const work of this.#options.upkeep ?? []) await work(db, now)
  }
}

/**
 * Upkeep that runs at most once every `ms` (first at start), whatever the pace of the sweeps: retention hourly,
 * say.
 */
export function every (ms: number, work: (now: Date) => Promise<void>): (db: Database, now: Date) => Promise<void> {
  let last = -Infinity
  return async (_db, now) => {
    if (now.getTime() - last < ms) return
    last = now.getTime()
    await work(now)
  }
}
