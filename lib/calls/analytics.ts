import type { Queryable } from '../db/database.js'

export interface AnalyticsScope {
  batchId?: string
  /** Calls created from this time on (inclusive) ... */
  since?: Date
  /** ... and before this one. */
  until?: Date
}

/** What came of a set of calls: every attempt counts (a retried customer counts once per dial). */
export interface CallAnalytics {
  calls: number
  customers: number
  dialled: number
  answered: number
  /** answered / dialled; null when nothing was dialled. */
  pick_up_rate: number | null
  customers_reached: number
  busy: number
  no_answer: number
  failed: number
  in_flight: number
  queued: number
  average_talk_seconds: number | null
  /** Conversations by outcome (confirmed, callback, no-response, hung-up, ...). */
  outcomes: Record<string, number>
  /** Calls not dialled, by why. */
  skipped: Record<string, number>
}

export async function callAnalytics (db: Queryable, scope: AnalyticsScope = {}): Promise<CallAnalytics> {
  const where: string[] = []
  const params: unknown[] = []
  if (scope.batchId) where.push(`call.batch_id = $${params.push(scope.batchId)}`)
  if (scope.since) where.push(`call.created_at >= $${params.push(scope.since)}`)
  if (scope.until) where.push(`call.created_at < $${params.push(scope.until)}`)
  const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''
  const { rows } = await db.query<Omit<CallAnalytics, 'pick_up_rate' | 'outcomes' | 'skipped'> & { skipped: Record<string, number> | null }>(
    `SELECT count(*)::int AS calls,
       count(DISTINCT customer_id)::int AS customers,
       count(*) FILTER (WHERE dialled_at IS NOT NULL)::int AS dialled,
       count(*) FILTER (WHERE answered_at IS NOT NULL)::int AS answered,
       count(DISTINCT customer_id) FILTER (WHERE answered_at IS NOT NULL)::int AS customers_reached,
       count(*) FILTER (WHERE status = 'busy')::int AS busy,
       count(*) FILTER (WHERE status = 'no-answer')::int AS no_answer,
       count(*) FILTER (WHERE status = 'failed')::int AS failed,
       (SELECT jsonb_object_agg(reason, n) FROM (
          SELECT COALESCE(skip_reason, 'canceled') AS reason, count(*)::int AS n FROM call ${filter}
          ${filter ? 'AND' : 'WHERE'} status = 'canceled' GROUP BY 1
        ) skips) AS skipped,
       count(*) FILTER (WHERE status IN ('initiated', 'ringing', 'in-progress'))::int AS in_flight,
       count(*) FILTER (WHERE status = 'queued')::int AS queued,
       round(avg(duration_seconds) FILTER (WHERE answered_at IS NOT NULL AND duration_seconds IS NOT NULL), 1)::float8
         AS average_talk_seconds
     FROM call ${filter}`, params
  )
  const { rows: outcomes } = await db.query<{ outcome: string, n: number }>(
    `SELECT conversation.outcome, count(*)::int AS n FROM call_conversation conversation JOIN call ON call.id = conversation.call_id
     ${filter ? `${filter} AND` : 'WHERE'} conversation.outcome IS NOT NULL GROUP BY conversation.outcome ORDER BY conversation.outcome`, params
  )
  const { skipped, ...counts } = rows[0]!
  return {
    ...counts,
    pick_up_rate: counts.dialled > 0 ? Math.round((counts.answered / counts.dialled) * 1000) / 1000 : null,
    outcomes: Object.fromEntries(outcomes.map((row) => [row.outcome, row.n])),
    skipped: skipped ?? {}
  }
}
