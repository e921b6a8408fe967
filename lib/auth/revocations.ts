import type { Database, Queryable } from '../db/database.js'

/**
 * Access tokens refused before they expire: one token (logout), or every token of a user issued before a time
 * (their role changed, or they were disabled). The table is the truth, so a refusal survives a restart and reaches
 * every instance; a row is useless once the tokens it refuses have expired, and expired rows are purged as new ones
 * are written.
 */
export interface RevocationList {
  /** Refuses one token (its `jti`) until it expires. */
  revoke (jti: string, expiresAt: Date): Promise<void>
  /** Refuses every token of the user `sub` issued before `notBefore`, until the last of them expires. */
  cutOff (sub: string, notBefore: Date, expiresAt: Date): Promise<void>
  /** Why a token is refused, or undefined when it is not. */
  refusal (token: { jti?: string, sub: string, iat: number }): Promise<'revoked' | 'cut-off' | undefined>
}

/**
 * What a token says of itself, unchecked (`sub`, `jti`, `iat`; nobody's when it says nothing readable): enough to
 * start its revocation check while its signature is being verified. Only a verified token's answer is used.
 */
export function claimedBy (token: string): { jti?: string, sub: string, iat: number } {
  const nobody = { sub: '', iat: 0 }
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())
    return typeof claims?.sub === 'string' ? claims : nobody
  } catch {
    return nobody
  }
}

/** Access tokens live at most a day (Cognito's limit, and the local emulator's lifetime): a cut-off is kept that long. */
export const LONGEST_TOKEN_MS = 24 * 3600_000 + 5 * 60_000

const userKey = (sub: string) => `user:${sub}`

/** A row: null for a revoked token, the time before which tokens are refused for a user. */
type Entry = { notBefore: number | null, expires: number }

/**
 * PGlite is opened by this process alone, so the table can be mirrored in memory and a check costs no query.
 * On a PostgreSQL server other instances revoke too, so every check reads the table.
 */
export async function openRevocationList (db: Database): Promise<RevocationList> {
  return db.engine === 'pglite' ? await MirroredRevocations.load(db) : new SharedRevocations(db)
}

async function record (db: Queryable, key: string, notBefore: Date | null, expiresAt: Date): Promise<void> {
  await db.query('DELETE FROM revoked_token WHERE expires_at < now()')
  await db.query(`INSERT INTO revoked_token (jti, not_before, expires_at) VALUES ($1, $2, $3)
    ON CONFLICT (jti) DO UPDATE SET not_before = EXCLUDED.not_before, expires_at = EXCLUDED.expires_at`,
  [key, notBefore, expiresAt])
}

function refusalOf (token: { iat: number }, revoked: Entry | undefined, cut: Entry | undefined) {
  if (revoked) return 'revoked' as const
  // Whole seconds: a token issued in the second of the change (the refresh that follows it) is let through.
  if (cut && token.iat < Math.floor(cut.notBefore! / 1000)) return 'cut-off' as const
  return undefined
}

abstract class Revocations implements RevocationList {
  protected abstract get (key: string): Promise<Entry | undefined>
  protected abstract put (key: string, entry: Entry): Promise<void>

  async revoke (jti: string, expiresAt: Date): Promise<void> {
    await this.put(jti, { notBefore: null, expires: expiresAt.getTime() })
  }

  async cutOff (sub: string, notBefore: Date, expiresAt: Date): Promise<void> {
    await this.put(userKey(sub), { notBefore: notBefore.getTime(), expires: expiresAt.getTime() })
  }

  async refusal (token: { jti?: string, sub: string, iat: number }) {
    const [revoked, cut] = await Promise.all([token.jti ? this.get(token.jti) : undefined, this.get(userKey(token.sub))])
    return refusalOf(token, revoked, cut)
  }
}

class MirroredRevocations extends Revocations {
  readonly #db: Queryable
  readonly #entries = new Map<string, Entry>()

  private constructor (db: Queryable) {
    super()
    this.#db = db
  }

  static async load (db: Queryable): Promise<MirroredRevocations> {
    const list = new MirroredRevocations(db)
    const { rows } = await db.query<{ jti: string, not_before: Date | null, expires_at: Date }>(
      'SELECT jti, not_before, expires_at FROM revoked_token WHERE expires_at >= now()'
    )
    for (const row of rows) {
      list.#entries.set(row.jti, { notBefore: row.not_before?.getTime() ?? null, expires: row.expires_at.getTime() })
    }
    return list
  }

  protected async put (key: string, entry: Entry): Promise<void> {
    await record(this.#db, key, entry.notBefore === null ? null : new Date(entry.notBefore), new Date(entry.expires))
    const now = Date.now()
    for (const [known, { expires }] of this.#entries) if (expires < now) this.#entries.delete(known)
    this.#entries.set(key, entry)
  }

  protected async get (key: string): Promise<Entry | undefined> {
    return this.#entries.get(key)
  }
}

type Waiter = { resolve: (entry: Entry | undefined) => void, reject: (error: unknown) => void }

/**
 * One query per check would queue every authenticated request behind the database, so checks that arrive while
 * a query is running wait for it to end and then share one query. Each check still reads the table after it
 * was asked, so a token revoked by any instance is refused by the next request everywhere.
 */
class SharedRevocations extends Revocations {
  readonly #db: Queryable
  #waiting = new Map<string, Waiter[]>()
  #running = false

  constructor (db: Queryable) {
    super()
    this.#db = db
  }

  protected async put (key: string, entry: Entry): Promise<void> {
    await record(this.#db, key, entry.notBefore === null ? null : new Date(entry.notBefore), new Date(entry.expires))
  }

  protected get (key: string): Promise<Entry | undefined> {
    return new Promise((resolve, reject) => {
      const waiters = this.#waiting.get(key)
      if (waiters) waiters.push({ resolve, reject })
      else this.#waiting.set(key, [{ resolve, reject }])
      if (!this.#running) {
        this.#running = true
        queueMicrotask(() => { this.#check().catch(() => {}) }) // the token's and the user's keys go in one query; it hands failures to the waiting checks
      }
    })
  }

  async #check (): Promise<void> {
    while (this.#waiting.size > 0) {
      const batch = this.#waiting
      this.#waiting = new Map()
      try {
        const { rows } = await this.#db.query<{ jti: string, not_before: Date | null, expires_at: Date }>(
          'SELECT jti, not_before, expires_at FROM revoked_token WHERE jti = ANY($1::text[])', [[...batch.keys()]]
        )
        const found = new Map(rows.map((row) =>
          [row.jti, { notBefore: row.not_before?.getTime() ?? null, expires: row.expires_at.getTime() }]))
        for (const [key, waiters] of batch) for (const waiter of waiters) waiter.resolve(found.get(key))
      } catch (error) {
        for (const waiters of batch.values()) for (const waiter of waiters) waiter.reject(error)
      }
    }
    this.#running = false
  }
}
