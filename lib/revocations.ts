import type { Queryable } from './db/database.js'

/**
 * Access tokens revoked before they expire (logout). Kept in the database so that every instance refuses them;
 * a row is useless once its token has expired, and expired rows are purged as new ones are written.
 */
export async function revokeToken (db: Queryable, jti: string, expiresAt: Date): Promise<void> {
  await db.query('DELETE FROM revoked_token WHERE expires_at < now()')
  await db.query(
    'INSERT INTO revoked_token (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING',
    [jti, expiresAt]
  )
}

export async function isRevoked (db: Queryable, jti: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM revoked_token WHERE jti = $1', [jti])
  return rowCount > 0
}
