import type { Database, Queryable } from '../db/database.js'
import { recordUntilExpiry } from '../db/expiring-ids.js'

/**
 * Access tokens revoked before they expire (logout). The table is the truth, so a revocation survives a restart
 * and reaches every instance; a row is useless once its token has expired, and expired rows are purged as new
 * ones are written.
 */
export interface RevocationList {
  revoke (jti: string, expiresAt: Date): Promise<void>
  isRevoked (jti: string): Promise<boolean>
}

/**
 * PGlite is opened by this process alone, so the table can be mirrored in memory and a check costs no query.
 * On a PostgreSQL server other instances revoke too, so every check reads the table.
 */
export async function openRevocationList (db: Database): Promise<RevocationList> {
  return db.engine === 'pglite' ? await MirroredRevocations.load(db) : new SharedRevocations(db)
}

class MirroredRevocations implements RevocationList {
  readonly #db: Queryable
  /** jti -> when its token expires (ms). */
  readonly #revoked = new Map<string, number>()

  private constructor (db: Queryable) {
    this.#db = db
  }

  static async load (db: Queryable): Promise<MirroredRevocations> {
    const list = new MirroredRevocations(db)
    const { rows } = await db.query<{ jti: string, expires_at: Date }>(
      'SELECT jti, expires_at FROM revoked_token WHERE expires_at >= now()'
    )
    for (const row of rows) list.#revoked.set(row.jti, row.expires_at.getTime())
    return list
  }

  async revoke (jti: string, expiresAt: Date): Promise<void> {
    await recordUntilExpiry(this.#db, 'revoked_token', jti, expiresAt)
    const now = Date.now()
    for (const [known, expires] of this.#revoked) if (expires < now) this.#revoked.delete(known)
    this.#revoked.set(jti, expiresAt.getTime())
  }

  async isRevoked (jti: string): Promise<boolean> {
    return this.#revoked.has(jti)
  }
}

/**
 * One query per check would queue every authenticated request behind the database, so checks that arrive while
 * a query is running wait for it to end and then share one query. Each check still reads the table after it
 * was asked, so a token revoked by any instance is refused by the next request everywhere.
 */
class SharedRevocations implements RevocationList {
  readonly #db: Queryable
  #waiting = new Map<string, Array<{ resolve: (revoked: boolean) => void, reject: (error: unknown) => void }>>()
  #running = false

  constructor (db: Queryable) {
    this.#db = db
  }

  async revoke (jti: string, expiresAt: Date): Promise<void> {
    await recordUntilExpiry(this.#db, 'revoked_token', jti, expiresAt)
  }

  isRevoked (jti: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const waiters = this.#waiting.get(jti)
      if (waiters) waiters.push({ resolve, reject })
      else this.#waiting.set(jti, [{ resolve, reject }])
      if (!this.#running) this.#check() // never rejects: it hands each failure to the waiting checks
    })
  }

  async #check (): Promise<void> {
    this.#running = true
    while (this.#waiting.size > 0) {
      const batch = this.#waiting
      this.#waiting = new Map()
      try {
        const { rows } = await this.#db.query<{ jti: string }>(
          'SELECT jti FROM revoked_token WHERE jti = ANY($1::text[])', [[...batch.keys()]]
        )
        const revoked = new Set(rows.map((row) => row.jti))
        for (const [jti, waiters] of batch) for (const waiter of waiters) waiter.resolve(revoked.has(jti))
      } catch (error) {
        for (const waiters of batch.values()) for (const waiter of waiters) waiter.reject(error)
      }
    }
    this.#running = false
  }
}
