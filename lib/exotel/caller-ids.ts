import type { Queryable } from '../db/database.js'

/** An ExoPhone as its setting must give it: E.164. */
const E164 = /^\+[1-9]\d{7,14}$/

/** The numbers of EXOTEL_CALLER_IDS (comma-separated), or the first that is not in E.164. */
export function readCallerIds (list: string): { numbers: string[] } | { bad: string } {
  const numbers = [...new Set(list.split(',').map((number) => number.trim()).filter(Boolean))]
  const bad = numbers.find((number) => !E164.test(number))
  return bad === undefined ? { numbers } : { bad }
}

/** A number rests when, over the last hour, it made this many dials and fewer than this share were answered. */
const REST = { minDials: 10, answerRate: 0.1 }

/** A dial Exotel refused for its caller number (not an ExoPhone of the account, or not allowed to call): the words it uses. */
const REFUSED_CALLER = "error ~* '(caller ?id|exophone)'"

type LastHour = { dials: number, answered: number, refused: number }

/** Each pool number's dials, answers and refusals in the last hour. */
async function lastHour (db: Queryable, pool: string[]): Promise<Map<string, LastHour>> {
  const { rows } = await db.query<{ caller_id: string } & LastHour>(
    `SELECT caller_id, count(*)::int AS dials, count(answered_at)::int AS answered,
       count(*) FILTER (WHERE status = 'failed' AND ${REFUSED_CALLER})::int AS refused FROM call
     WHERE caller_id = ANY($1::text[]) AND created_at > now() - interval '1 hour' GROUP BY caller_id`, [pool])
  return new Map(rows.map((row) => [row.caller_id, row]))
}

/** Why a number rests, if it does: Exotel refused it in the last hour, or customers stopped answering it. */
function restsFor (used: LastHour | undefined): 'refused' | 'unanswered' | undefined {
  if (used === undefined) return undefined
  if (used.refused > 0) return 'refused'
  return used.dials >= REST.minDials && used.answered < REST.answerRate * used.dials ? 'unanswered' : undefined
}

/**
 * The number a call is placed from, out of the pool: the one the customer was last called from, so that they see
 * the same number again; else the pool's least used in the last hour (in the pool's order when tied), so that the
 * numbers take turns across every instance. A number customers stopped answering (flagged as spam, often), or that
 * Exotel refused, rests: calls go from the others while any is left.
 */
export async function chooseCallerId (db: Queryable, pool: string[], customerId: string): Promise<string> {
  if (pool.length === 1) return pool[0]!
  const used = await lastHour(db, pool)
  const awake = pool.filter((number) => !restsFor(used.get(number)))
  const candidates = awake.length > 0 ? awake : pool
  const { rows: [last] } = await db.query<{ caller_id: string }>(
    'SELECT caller_id FROM call WHERE customer_id = $2 AND caller_id = ANY($1::text[]) ORDER BY created_at DESC LIMIT 1', [candidates, customerId])
  if (last) return last.caller_id
  const dials = (number: string) => used.get(number)?.dials ?? 0
  return candidates.reduce((best, number) => dials(number) < dials(best) ? number : best)
}

export interface CallerIdStats {
  number: string
  dials: number
  answered: number
  failed: number
  /** Answered of dialled, 0 to 1; null before any dial. */
  answer_rate: number | null
  /** Resting: Exotel refused it, or customers stopped answering it, in the last hour; calls go from the other numbers. */
  resting: boolean
  /** Why it rests: refused (by Exotel) or unanswered (by customers); null when it does not. */
  resting_reason: 'refused' | 'unanswered' | null
}

/**
 * Each pool number's calls over the last `hours` (at least 1): dialled, answered, failed; and whether it rests, from
 * its last hour's calls, which the same read counts.
 */
export async function callerIdStats (db: Queryable, pool: string[], hours: number): Promise<CallerIdStats[]> {
  const { rows } = await db.query<{ number: string, dials: number, answered: number, failed: number, hour: LastHour }>(
    `SELECT number, count(call.id)::int AS dials, count(call.answered_at)::int AS answered,
       count(*) FILTER (WHERE call.status = 'failed')::int AS failed,
       json_build_object('dials', count(call.id) FILTER (WHERE call.created_at > now() - interval '1 hour'),
         'answered', count(call.answered_at) FILTER (WHERE call.created_at > now() - interval '1 hour'),
         'refused', count(call.id) FILTER (WHERE call.created_at > now() - interval '1 hour' AND call.status = 'failed'
           AND call.${REFUSED_CALLER})) AS hour
     FROM unnest($1::text[]) WITH ORDINALITY AS pool(number, position)
     LEFT JOIN call ON call.caller_id = pool.number
       AND call.created_at > now() - make_interval(hours => $2)
     GROUP BY number, position ORDER BY position`, [pool, hours])
  return rows.map(({ hour, ...row }) => {
    const reason = pool.length > 1 ? restsFor(hour) ?? null : null
    return { ...row, answer_rate: row.dials > 0 ? row.answered / row.dials : null, resting: reason !== null, resting_reason: reason }
  })
}
