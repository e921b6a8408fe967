import { windowOf, type CallingWindow } from './calling-window.js'
import type { AttemptCap } from './rules.js'

/** A campaign call that was busy or not answered is dialled again, up to `retries` more times, `delayMs` later. */
export interface RetryPolicy {
  retries: number
  delayMs: number
}

/** The rules every campaign follows unless it says otherwise: retries, calling hours, the attempt cap. */
export interface CampaignPolicy {
  /** Busy and unanswered batch calls are dialled again (applied as their status arrives). */
  retry: RetryPolicy
  /** The calling window of a batch queued without one. */
  defaultWindow: CallingWindow
  /** Most dials to one customer in a period, over every batch. */
  attemptCap: AttemptCap
}

/** The policy from the server's settings (see .env.example). */
export function campaignPolicyOf (config: {
  CALL_RETRIES: number
  CALL_RETRY_DELAY_SECONDS: number
  CALLING_HOURS: string
  CALLING_DAYS: string
  CALLING_TIMEZONE: string
  ATTEMPT_CAP: number
  ATTEMPT_CAP_HOURS: number
}): CampaignPolicy {
  return {
    retry: { retries: config.CALL_RETRIES, delayMs: config.CALL_RETRY_DELAY_SECONDS * 1000 },
    defaultWindow: windowOf(config.CALLING_HOURS, config.CALLING_DAYS, config.CALLING_TIMEZONE),
    attemptCap: { attempts: config.ATTEMPT_CAP, periodMs: config.ATTEMPT_CAP_HOURS * 3600_000 }
  }
}
