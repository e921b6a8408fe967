import type { CampaignPolicy } from '../calling-rules/policy.js'

/** Ended statuses a campaign may retry. */
export type RetriedStatus = 'busy' | 'no-answer' | 'failed'

/** What a campaign does after each call, stored with it (campaign.rules). */
export interface CampaignRules {
  /** A call that ended with a status in `on` is dialled again `delay_seconds` later, up to `retries` times a customer. */
  retry: { on: RetriedStatus[], retries: number, delay_seconds: number }
  /**
   * A conversation whose outcome asks for a follow-up (a callback) is dialled again at the time the customer asked
   * for, when the assistant recorded one, else `delay_seconds` later; up to `max` times a customer.
   */
  follow_up: { delay_seconds: number, max: number }
  /** Customers whose last call in this many days ended with a final outcome (confirmed) are skipped (0: none are). */
  skip_final_within_days: number
}

/** The rules of a campaign that says none: the server's retries, one follow-up two hours on, finals skipped for a week. */
export function defaultRules (policy: Pick<CampaignPolicy, 'retry'>): CampaignRules {
  return {
    retry: { on: ['busy', 'no-answer'], retries: policy.retry.retries, delay_seconds: Math.round(policy.retry.delayMs / 1000) },
    follow_up: { delay_seconds: 7200, max: 1 },
    skip_final_within_days: 7
  }
}

/** What POST /api/trigger-bulk-calls has always done: retries as the server's policy says, no follow-ups. */
export function bulkCallRules (policy: Pick<CampaignPolicy, 'retry'>): CampaignRules {
  return { ...defaultRules(policy), follow_up: { delay_seconds: 7200, max: 0 }, skip_final_within_days: 0 }
}

/** An ended call of a campaign, as the next-attempt decision sees it. */
export interface EndedCall {
  status: 'completed' | RetriedStatus | 'canceled'
  /** The outcome its conversation recorded, if any. */
  outcome: string | null
  /** Who answered (human, machine, notsure), when told: a machine did not reach the customer. */
  answeredBy?: string | null
  outcomeDetail: Record<string, unknown> | null
  /** How the assistant (at the call's version) declares that outcome. */
  outcomeFlags: { final?: boolean, follow_up?: boolean } | undefined
  /** The customer's retries and follow-ups in this campaign so far. */
  retries: number
  followUps: number
}

export type NextAttempt =
  | { next: 'retry', at: Date, retry: number, of: number, because: string }
  | { next: 'follow-up', at: Date, followUp: number, of: number, because: string, asked: boolean }
  | { next: 'none', why: string }
  /** Nothing to decide yet: the call completed and its outcome has not been recorded. */
  | { next: 'wait' }

/**
 * What comes after a campaign's call: a retry (busy, no answer, failed as the rules list; a conversation with no
 * response, and an answering machine's, count as no answer), a follow-up (an outcome that asks for one), or nothing (a final outcome, no tries
 * left, any other end).
 */
export function decideNext (rules: CampaignRules, call: EndedCall, now: Date): NextAttempt {
  const retry = (because: RetriedStatus | 'no-response' | 'machine'): NextAttempt => {
    const counted = because === 'no-response' || because === 'machine' ? 'no-answer' : because
    if (!rules.retry.on.includes(counted)) return { next: 'none', why: `${because}: not retried by this campaign` }
    if (call.retries >= rules.retry.retries) return { next: 'none', why: `${because}: no retries left` }
    return { next: 'retry', at: new Date(now.getTime() + rules.retry.delay_seconds * 1000), retry: call.retries + 1, of: rules.retry.retries, because }
  }
  if (call.status === 'canceled') return { next: 'none', why: 'not dialled' }
  if (call.status !== 'completed') return retry(call.status)
  if (call.answeredBy === 'machine' && !call.outcomeFlags?.final) return retry('machine')
  if (call.outcome === null) return { next: 'wait' }
  if (call.outcomeFlags?.final) return { next: 'none', why: `${call.outcome}: final` }
  if (call.outcome === 'no-response') return retry('no-response')
  if (!call.outcomeFlags?.follow_up) return { next: 'none', why: call.outcome }
  if (call.followUps >= rules.follow_up.max) return { next: 'none', why: `${call.outcome}: no follow-ups left` }
  const asked = askedTime(call.outcomeDetail, now)
  return {
    next: 'follow-up',
    at: asked ?? new Date(now.getTime() + rules.follow_up.delay_seconds * 1000),
    followUp: call.followUps + 1,
    of: rules.follow_up.max,
    because: call.outcome,
    asked: asked !== undefined
  }
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/

/** The time the customer asked to be called at: the first value of the outcome's fields that is a future date-time with its zone. */
export function askedTime (detail: Record<string, unknown> | null, now: Date): Date | undefined {
  for (const value of Object.values(detail ?? {})) {
    if (typeof value !== 'string' || !DATE_TIME.test(value.trim())) continue
    const at = new Date(value.trim())
    if (at.getTime() > now.getTime()) return at
  }
  return undefined
}
