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
  /** How the answered calls sounded (lib/live-call/quality.ts), over the calls measured. */
  quality: QualitySummary
}

/** The middle and the 95th percentile, in milliseconds; null when nothing was measured. */
export type Spread = { p50: number, p95: number } | null

export interface QualitySummary {
  calls_measured: number
  first_audio_ms: Spread
  response_delay_ms: Spread
  barge_in_reaction_ms: Spread
  model_delay_ms: Spread
  underruns: number
  calls_with_underruns: number
  stream_gaps: number
}

const spreadOf = (values: number[] | null): Spread => values ? { p50: Math.round(values[0]!), p95: Math.round(values[1]!) } : null

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
  // Each list of a call's quality numbers (every turn, every barge-in) counts every value it holds.
  const spread = (list: string) => `(SELECT percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY value::float8)
     FROM measured, jsonb_array_elements_text(measured.quality -> '${list}') AS value)`
  const { rows: [quality] } = await db.query<{
    calls_measured: number,
    first: number[] | null,
    response: number[] | null,
    barge_in: number[] | null,
    model: number[] | null,
    underruns: number,
    calls_with_underruns: number,
    stream_gaps: number
  }>(
    `WITH measured AS (
       SELECT conversation.quality FROM call_conversation conversation JOIN call ON call.id = conversation.call_id
       ${filter ? `${filter} AND` : 'WHERE'} conversation.quality IS NOT NULL
     )
     SELECT (SELECT count(*) FROM measured)::int AS calls_measured,
       (SELECT percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY (quality ->> 'first_audio_ms')::float8) FROM measured
        WHERE quality ->> 'first_audio_ms' IS NOT NULL) AS first,
       ${spread('response_delays_ms')} AS response, ${spread('barge_in_reactions_ms')} AS barge_in, ${spread('model_delays_ms')} AS model,
       (SELECT coalesce(sum((quality ->> 'underruns')::int), 0) FROM measured)::int AS underruns,
       (SELECT count(*) FROM measured WHERE (quality ->> 'underruns')::int > 0)::int AS calls_with_underruns,
       (SELECT coalesce(sum((quality ->> 'stream_gaps')::int), 0) FROM measured)::int AS stream_gaps`, params)
  const { skipped, ...counts } = rows[0]!
  return {
    ...counts,
    pick_up_rate: counts.dialled > 0 ? Math.round((counts.answered / counts.dialled) * 1000) / 1000 : null,
    outcomes: Object.fromEntries(outcomes.map((row) => [row.outcome, row.n])),
    skipped: skipped ?? {},
    quality: {
      calls_measured: quality!.calls_measured,
      first_audio_ms: spreadOf(quality!.first),
      response_delay_ms: spreadOf(quality!.response),
      barge_in_reaction_ms: spreadOf(quality!.barge_in),
      model_delay_ms: spreadOf(quality!.model),
      underruns: quality!.underruns,
      calls_with_underruns: quality!.calls_with_underruns,
      stream_gaps: quality!.stream_gaps
    }
  }
}

/** What the charts draw: calls over time, by hour of the day, attempts per customer, talk time, outcomes. */
export interface CallSeries {
  /** A point a bucket (an hour or a day, starting at `at`, in the time zone asked): calls dialled and answered. */
  over_time: Array<{ at: string, dialled: number, answered: number }>
  /** The hours of the day (0-23, in the time zone asked): calls dialled and answered. */
  by_hour: Array<{ hour: number, dialled: number, answered: number }>
  /** How many customers were dialled how many times. */
  attempts: Array<{ attempts: number, customers: number }>
  /** Answered calls by how long they lasted. */
  talk: Array<{ range: string, calls: number }>
  outcomes: Record<string, number>
}

const TALK_RANGES: Array<[string, number, number]> = [
  ['under 10 s', 0, 10], ['10-30 s', 10, 30], ['30-60 s', 30, 60], ['1-2 min', 60, 120], ['2 min or more', 120, 2_147_483_647]
]

export async function callSeries (db: Queryable, scope: AnalyticsScope, timezone: string, bucket: 'hour' | 'day'): Promise<CallSeries> {
  // The scope's conditions, numbered after the query's own parameters (the time zone, for those that use it).
  const scoped = (own: unknown[]) => {
    const params = [...own]
    const where: string[] = []
    if (scope.batchId) where.push(`call.batch_id = $${params.push(scope.batchId)}`)
    if (scope.since) where.push(`call.created_at >= $${params.push(scope.since)}`)
    if (scope.until) where.push(`call.created_at < $${params.push(scope.until)}`)
    return { params, and: where.map((clause) => ` AND ${clause}`).join('') }
  }
  const local = (column: string) => `(${column} AT TIME ZONE $1)`
  const zoned = scoped([timezone])
  const plain = scoped([])
  const { rows: overTime } = await db.query<{ at: string, dialled: number, answered: number }>(
    `SELECT to_char(date_trunc('${bucket}', ${local('dialled_at')}), 'YYYY-MM-DD"T"HH24:MI') AS at, count(*)::int AS dialled,
       count(answered_at)::int AS answered
     FROM call WHERE dialled_at IS NOT NULL${zoned.and} GROUP BY 1 ORDER BY 1`, zoned.params)
  const { rows: byHour } = await db.query<{ hour: number, dialled: number, answered: number }>(
    `SELECT extract(hour FROM ${local('dialled_at')})::int AS hour, count(*)::int AS dialled, count(answered_at)::int AS answered
     FROM call WHERE dialled_at IS NOT NULL${zoned.and} GROUP BY 1 ORDER BY 1`, zoned.params)
  const { rows: attempts } = await db.query<{ attempts: number, customers: number }>(
    `SELECT attempts, count(*)::int AS customers FROM (
       SELECT customer_id, count(*)::int AS attempts FROM call WHERE dialled_at IS NOT NULL${plain.and} GROUP BY customer_id
     ) per_customer GROUP BY attempts ORDER BY attempts`, plain.params)
  const { rows: talk } = await db.query<{ range: number, calls: number }>(
    `SELECT width_bucket(duration_seconds, ARRAY[${TALK_RANGES.slice(1).map(([, from]) => from).join(', ')}]) AS range,
       count(*)::int AS calls
     FROM call WHERE answered_at IS NOT NULL AND duration_seconds IS NOT NULL${plain.and} GROUP BY 1`, plain.params)
  const counted = new Map(talk.map((row) => [row.range, row.calls]))
  const hours = new Map(byHour.map((row) => [row.hour, row]))
  return {
    over_time: overTime,
    by_hour: Array.from({ length: 24 }, (_, hour) => hours.get(hour) ?? { hour, dialled: 0, answered: 0 }),
    attempts,
    talk: TALK_RANGES.map(([range], index) => ({ range, calls: counted.get(index) ?? 0 })),
    outcomes: (await callAnalytics(db, scope)).outcomes
  }
}
