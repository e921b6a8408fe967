import type { Queryable } from '../db/database.js'

/** An ExoPhone as its setting must give it: E.164. */
export const E164 = /^\+[1-9]\d{7,14}$/

/** The numbers of EXOTEL_CALLER_IDS (comma-separated), or the first that is not in E.164. */
export function readCallerIds (list: string): { numbers: string[] } | { bad: string } {
  const numbers = [...new Set(list.split(',').map((number) => number.trim()).filter(Boolean))]
  const bad = numbers.find((number) => !E164.test(number))
  return bad === undefined ? { numbers } : { bad }
}

/**
 * The number a call is placed from, out of the pool: the one the customer was last called from, so that they see
 * the same number again; else the pool's least used in the last hour (in the pool's order when tied), so that the
 * numbers take turns across every instance.
 */
export async function chooseCallerId (db: Queryable, pool: string[], customerId: string): Promise<string> {
  if (pool.length === 1) return pool[0]!
  const { rows: [chosen] } = await db.query<{ last: string | null, counts: Record<string, number> | null }>(
    `SELECT (SELECT caller_id FROM call WHERE customer_id = $2 AND caller_id = ANY($1::text[]) ORDER BY created_at DESC LIMIT 1) AS last,
       (SELECT json_object_agg(caller_id, n) FROM (
          SELECT caller_id, count(*) AS n FROM call WHERE caller_id = ANY($1::text[]) AND created_at > now() - interval '1 hour'
          GROUP BY caller_id) used) AS counts`, [pool, customerId])
  if (chosen!.last) return chosen!.last
  const used = (number: string) => chosen!.counts?.[number] ?? 0
  return pool.reduce((best, number) => used(number) < used(best) ? number : best)
}

export interface CallerIdStats {
  number: string
  dials: number
  answered: number
  failed: number
  /** Answered of dialled, 0 to 1; null before any dial. */
  answer_rate: number | null
}

/** Each pool number's calls over the last `hours`: dialled, answered, failed. */
export async function callerIdStats (db: Queryable, pool: string[], hours: number): Promise<CallerIdStats[]> {
  const { rows } = await db.query<{ number: string, dials: number, answered: number, failed: number }>(
    `SELECT number, count(call.id)::int AS dials, count(call.answered_at)::int AS answered,
       count(*) FILTER (WHERE call.status = 'failed')::int AS failed
     FROM unnest($1::text[]) WITH ORDINALITY AS pool(number, position)
     LEFT JOIN call ON call.caller_id = pool.number AND call.created_at > now() - make_interval(hours => $2)
     GROUP BY number, position ORDER BY position`, [pool, hours])
  return rows.map((row) => ({ ...row, answer_rate: row.dials > 0 ? row.answered / row.dials : null }))
}
