import { createHash } from 'node:crypto'
import type { Queryable } from '../db/database.js'

/** Who sent a key, to which route: a key is only ever matched within its owner and route. */
export interface KeyScope {
  owner: string
  route: string
  key: string
}

export type Claim =
  | { kind: 'new' }
  | { kind: 'replay', statusCode: number, response: string }
  | { kind: 'conflict' }
  | { kind: 'in-progress' }

/** Keys are kept at least this long (Stripe's convention; the issue asks for 24 h). */
const KEEP = "interval '24 hours'"
/** A first request with no answer after this long died with its instance: its key may be claimed again. */
const ABANDONED = "interval '5 minutes'"

export const requestHash = (body: unknown): string => createHash('sha256').update(String(JSON.stringify(body))).digest('hex')

/**
 * Claims a key for a request: `new` (handle it, then `settleKey`), `replay` of the first answer, `conflict` (the
 * key came with another request body) or `in-progress` (the first request is still being handled). The primary
 * key decides between instances racing for the same key.
 */
export async function claimKey (db: Queryable, scope: KeyScope, hash: string): Promise<Claim> {
  const params = [scope.owner, scope.route, scope.key]
  await db.query(`DELETE FROM idempotency_key WHERE created_at < now() - ${KEEP}`)
  const { rowCount } = await db.query(
    `INSERT INTO idempotency_key (owner, route, key, request_hash) VALUES ($1, $2, $3, $4)
     ON CONFLICT (owner, route, key) DO NOTHING`, [...params, hash]
  )
  if (rowCount > 0) return { kind: 'new' }
  const { rows } = await db.query<{ request_hash: string, status_code: number | null, response: string | null }>(
    'SELECT request_hash, status_code, response FROM idempotency_key WHERE owner = $1 AND route = $2 AND key = $3', params
  )
  const first = rows[0]! // only rows past 24 hours are purged, and those went just above
  if (first.request_hash !== hash) return { kind: 'conflict' }
  if (first.status_code !== null) return { kind: 'replay', statusCode: first.status_code, response: first.response! }
  const { rowCount: reclaimed } = await db.query(
    `UPDATE idempotency_key SET created_at = now()
     WHERE owner = $1 AND route = $2 AND key = $3 AND status_code IS NULL AND created_at < now() - ${ABANDONED}`, params
  )
  return reclaimed > 0 ? { kind: 'new' } : { kind: 'in-progress' }
}

/** Keeps the answer to replay it, or lets the key go when the request failed on our side (it may be tried again). */
export async function settleKey (db: Queryable, scope: KeyScope, statusCode: number, response: string): Promise<void> {
  const params = [scope.owner, scope.route, scope.key]
  if (statusCode >= 500) {
    await db.query('DELETE FROM idempotency_key WHERE owner = $1 AND route = $2 AND key = $3', params)
    return
  }
  await db.query(
    'UPDATE idempotency_key SET status_code = $4, response = $5 WHERE owner = $1 AND route = $2 AND key = $3',
    [...params, statusCode, response]
  )
}
