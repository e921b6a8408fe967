import type { Database } from '../db/database.js'
import { pauseItself } from './campaigns.js'

/** When a campaign's failing dials pause it (CAMPAIGN_PAUSE_*). */
export interface SelfPauseRules {
  /** The share of recent dials that failed, from which it pauses. */
  failedShare: number
  /** Dials it must have made in the window first. */
  minDials: number
  windowMs: number
}

/** Exotel's refusals of the account itself (credentials, KYC): one is enough to pause. */
const ACCOUNT_REFUSALS = ['401', '403']

/**
 * Campaigns whose dials are failing pause themselves, each saying why, and wait for an operator: on Indian telephony
 * a burst of failures means a number flagged or an account stopped, and dialling on burns the list. Counted over
 * each running campaign's dials (claims) of the last window since it was last resumed: a pause when at least
 * `minDials` were made and `failedShare` of them failed, or at once when Exotel refused the account (authentication,
 * KYC). Busy and unanswered calls are not failures; a campaign with nobody left to dial is left alone. Answers the
 * campaigns paused, with their reasons.
 */
export async function pauseFailingCampaigns (db: Database, rules: SelfPauseRules, now: Date): Promise<Array<{ id: string, reason: string }>> {
  const { rows } = await db.query<{ id: string, dials: number, failed: number, refused: boolean, last_error: string | null }>(
    `SELECT call.batch_id AS id, count(*)::int AS dials, count(*) FILTER (WHERE call.status = 'failed')::int AS failed,
       coalesce(bool_or(call.status = 'failed' AND EXISTS (
         SELECT 1 FROM call_event event WHERE event.call_id = call.id AND event.dedupe_key = 'dial-failed'
           AND event.detail ->> 'exotel_status' = ANY($3::text[]))), false) AS refused,
       (array_agg(call.error ORDER BY call.updated_at DESC) FILTER (WHERE call.status = 'failed' AND call.error IS NOT NULL))[1] AS last_error
     FROM call JOIN campaign ON campaign.id = call.batch_id
     WHERE call.batch_id IS NOT NULL AND call.claimed_at >= $1::timestamptz - $2 * interval '1 millisecond'
       AND call.claimed_at >= coalesce(campaign.resumed_at, '-infinity')
       AND campaign.paused_at IS NULL AND campaign.canceled_at IS NULL
       AND EXISTS (SELECT 1 FROM call waiting WHERE waiting.batch_id = campaign.id AND waiting.status = 'queued')
     GROUP BY call.batch_id`, [now, rules.windowMs, ACCOUNT_REFUSALS])
  const paused: Array<{ id: string, reason: string }> = []
  for (const row of rows) {
    const why = row.last_error ? `: ${row.last_error}` : ''
    const reason = row.refused
      ? `Exotel refused the account${why}`
      : row.dials >= rules.minDials && row.failed >= rules.failedShare * row.dials
        ? `${row.failed} of its last ${row.dials} dials failed within ${Math.round(rules.windowMs / 1000)} s${why}`
        : undefined
    if (!reason) continue
    const campaign = await pauseItself(db, row.id, `Paused itself: ${reason}. Resume it once that is mended.`, now)
    paused.push({ id: row.id, reason: campaign!.paused_reason! })
  }
  return paused
}
