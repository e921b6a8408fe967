import type { Queryable } from './database.js'

/** Tables of token ids (`jti text PRIMARY KEY, expires_at timestamptz`) kept only until their tokens expire. */
export type ExpiringIdTable = 'revoked_token' | 'media_token_use'

/**
 * Records a token id until `expiresAt`, purging ids whose tokens have expired (they are of no use any more) in the same statement.
 * Answers false when the id was recorded before, by this instance or another.
 */
export async function recordUntilExpiry (db: Queryable, table: ExpiringIdTable, jti: string, expiresAt: Date): Promise<boolean> {
  const { rowCount } = await db.query(
    `WITH purged AS (DELETE FROM ${table} WHERE expires_at < now())
     INSERT INTO ${table} (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING`, [jti, expiresAt]
  )
  return rowCount > 0
}
