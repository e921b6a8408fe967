import type { SKIP_REASONS } from '../../schemas/calls.js'

/** Why a call is not dialled: its reason, stored on the call (status canceled) or given by a dry run. */
export type SkipReason = (typeof SKIP_REASONS)[number]

/** The most calls dialled to one customer within a period, over every batch and single call (attempts 0: none). */
export interface AttemptCap {
  attempts: number
  periodMs: number
}

/**
 * SQL for why the customer `customerId` at `phone` (two SQL expressions) may not be dialled now, or NULL:
 * `suppressed` (the number is on the suppression list), else `attempt-cap` (dialled `attempts` times within the
 * period). The same test runs when a batch is queued, in its dry run, and right before each dial and retry; a
 * single call (lib/calls/single-call.ts) runs it without the cap.
 */
export function blockedReason (customerId: string, phone: string, cap: AttemptCap | undefined, params: unknown[]): string {
  const capped = cap && cap.attempts > 0
    ? `WHEN (SELECT count(*) FROM call attempt WHERE attempt.customer_id = ${customerId} AND attempt.dialled_at IS NOT NULL
         AND attempt.dialled_at > now() - $${params.push(cap.periodMs)} * interval '1 millisecond') >= $${params.push(cap.attempts)}
       THEN 'attempt-cap'`
    : ''
  return `CASE WHEN EXISTS (SELECT 1 FROM suppression WHERE suppression.phone = ${phone}) THEN 'suppressed' ${capped} END`
}
