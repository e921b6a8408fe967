import { randomUUID } from 'node:crypto'
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
  /** Stops hearing other instances' revocations (and gives up this instance's lease). */
  close (): Promise<void>
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
type Row = { jti: string, not_before: Date | null, expires_at: Date }
const entryOf = (row: Row): Entry => ({ notBefore: row.not_before?.getTime() ?? null, expires: row.expires_at.getTime() })

/** How long an instance may answer from its in-memory copy after its LISTEN session last proved it hears. */
export const LEASE_MS = 10_000

export interface RevocationOptions {
  /**
   * On a PostgreSQL server, an instance's lease on its in-memory copy (renewed five times per lease): the longest a
   * logout waits for an instance that stopped answering. 0: no copy, every check reads the table.
   */
  leaseMs?: number
}

/**
 * PGlite is opened by this process alone, so the table is mirrored in memory and a check costs no query. On a
 * PostgreSQL server other instances revoke too: each instance mirrors the table while its LISTEN session proves it
 * hears their revocations, and reads the table on every check while it does not.
 */
export async function openRevocationList (db: Database, { leaseMs = LEASE_MS }: RevocationOptions = {}): Promise<RevocationList> {
  if (db.engine === 'pglite') return await MirroredRevocations.load(db)
  return leaseMs === 0 ? new SharedRevocations(db) : await ListeningRevocations.open(db, leaseMs)
}

async function record (db: Queryable, key: string, { notBefore, expires }: Entry): Promise<void> {
  await db.query('DELETE FROM revoked_token WHERE expires_at < now()')
  await db.query(`INSERT INTO revoked_token (jti, not_before, expires_at) VALUES ($1, $2, $3)
    ON CONFLICT (jti) DO UPDATE SET not_before = EXCLUDED.not_before, expires_at = EXCLUDED.expires_at`,
  [key, notBefore === null ? null : new Date(notBefore), new Date(expires)])
}

/** Every revocation that has not expired: what a mirror is loaded from. */
async function unexpired (db: Queryable): Promise<Row[]> {
  const { rows } = await db.query<Row>('SELECT jti, not_before, expires_at FROM revoked_token WHERE expires_at >= now()')
  return rows
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

  async close (): Promise<void> {}
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
    for (const row of await unexpired(db)) list.#entries.set(row.jti, entryOf(row))
    return list
  }

  protected async put (key: string, entry: Entry): Promise<void> {
    await record(this.#db, key, entry)
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
    await record(this.#db, key, entry)
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
        const { rows } = await this.#db.query<Row>(
          'SELECT jti, not_before, expires_at FROM revoked_token WHERE jti = ANY($1::text[])', [[...batch.keys()]]
        )
        const found = new Map(rows.map((row) => [row.jti, entryOf(row)]))
        for (const [key, waiters] of batch) for (const waiter of waiters) waiter.resolve(found.get(key))
      } catch (error) {
        for (const waiters of batch.values()) for (const waiter of waiters) waiter.reject(error)
      }
    }
    this.#running = false
  }
}

const CHANNEL = 'revoked_token'
/** Trust ends a tenth of a lease before the lease the database holds, for clocks that run at slightly different rates. */
const MARGIN = 0.1

type Message =
  | { kind: 'heartbeat', from: string, sent: number, lease: boolean }
  | { kind: 'revoked', from: string, seq: number, key: string, entry: Entry }
  | { kind: 'heard', to: string, seq: number, from: string }

/** A later cut-off wins: a copy read from the table may be older than a revocation just heard. */
function later (known: Entry | undefined, entry: Entry): Entry {
  if (known === undefined) return entry
  return {
    notBefore: known.notBefore === null || entry.notBefore === null ? null : Math.max(known.notBefore, entry.notBefore),
    expires: Math.max(known.expires, entry.expires)
  }
}

/**
 * The table mirrored in memory on each instance of a PostgreSQL deployment, kept true by LISTEN/NOTIFY:
 * - Every instance sends itself a heartbeat through the table's channel five times per lease. A heartbeat that
 *   comes back proves its LISTEN session hears; the one after it also renews its lease (a row holding
 *   `alive_until`), and one coming back on a lease lets it answer from memory until the lease it renewed runs out
 *   (less a margin). A session that was away (missed notifications) reloads the table before it answers again.
 * - A revocation is written and announced in one transaction; every instance that hears it adds it and answers
 *   `heard`. The revoking instance waits for each instance holding a lease to say it heard, or for its lease to run
 *   out (by then that instance reads the table instead): when a logout answers, every instance refuses the token.
 * - While it answers from memory a check costs no query; while it does not, checks share queries as before.
 */
class ListeningRevocations extends SharedRevocations {
  readonly #db: Database
  readonly #leaseMs: number
  readonly #id = randomUUID()
  readonly #entries = new Map<string, Entry>()
  readonly #waiters = new Map<number, { heard: Set<string>, wake: () => void }>()
  #trustedUntil = 0
  #lastSent = 0
  #lastHeard = 0
  #seq = 0
  #beating: NodeJS.Timeout | undefined
  /** Closed: never trusted again, whatever heartbeat or reload comes back after. */
  #closed = false
  #unlisten: (() => Promise<void>) | undefined

  private constructor (db: Database, leaseMs: number) {
    super(db)
    this.#db = db
    this.#leaseMs = leaseMs
  }

  static async open (db: Database, leaseMs: number): Promise<ListeningRevocations> {
    const list = new ListeningRevocations(db, leaseMs)
    list.#unlisten = await db.listen(CHANNEL, (payload) => list.#hear(JSON.parse(payload) as Message))
    list.#beating = setInterval(() => list.#beat(), leaseMs / 5).unref()
    list.#beat()
    return list
  }

  #trusted (): boolean {
    return !this.#closed && Date.now() < this.#trustedUntil
  }

  /** A heartbeat renews the lease only when the one before it came back: a deaf instance must not hold one. */
  #beat (): void {
    const lease = this.#lastHeard === this.#lastSent
    const sent = this.#lastSent = Math.max(Date.now(), this.#lastSent + 1)
    const message = JSON.stringify({ kind: 'heartbeat', from: this.#id, sent, lease } satisfies Message)
    // A failed heartbeat needs no handling: it does not come back, so the copy stops being trusted and checks read the table.
    ;(lease
      ? this.#db.query(`WITH lease AS (
          INSERT INTO revocation_listener (instance, alive_until) VALUES ($1, now() + $2 * interval '1 millisecond')
          ON CONFLICT (instance) DO UPDATE SET alive_until = EXCLUDED.alive_until RETURNING 1)
        SELECT pg_notify($3, $4) FROM lease`, [this.#id, this.#leaseMs, CHANNEL, message])
      : this.#notify(message)).catch(() => {})
  }

  #notify (message: string): Promise<unknown> {
    return this.#db.query('SELECT pg_notify($1, $2)', [CHANNEL, message])
  }

  #hear (message: Message): void {
    if (message.kind === 'revoked') {
      if (message.from === this.#id) return
      this.#entries.set(message.key, later(this.#entries.get(message.key), message.entry))
      this.#notify(JSON.stringify({ kind: 'heard', to: message.from, seq: message.seq, from: this.#id } satisfies Message))
        .catch(() => {}) // unheard, the revoking instance waits for this one's lease to run out
    } else if (message.kind === 'heard') {
      const waiter = message.to === this.#id ? this.#waiters.get(message.seq) : undefined
      waiter?.heard.add(message.from)
      waiter?.wake()
    } else if (message.from === this.#id) {
      this.#lastHeard = message.sent
      if (message.lease) this.#renewed(message.sent + this.#leaseMs * (1 - MARGIN))
    }
  }

  /** The lease runs to `until`: trusted on at once when nothing was missed, else after reading the table again. */
  #renewed (until: number): void {
    if (this.#trusted()) {
      this.#trustedUntil = until
      return
    }
    unexpired(this.#db)
      .then((rows) => {
        for (const row of rows) this.#entries.set(row.jti, later(this.#entries.get(row.jti), entryOf(row)))
        this.#trustedUntil = Math.max(this.#trustedUntil, until) // (reloads may overlap on a slow server)
      }, () => {}) // the next heartbeat tries again
  }

  override async refusal (token: { jti?: string, sub: string, iat: number }) {
    if (!this.#trusted()) return await super.refusal(token)
    return refusalOf(token, token.jti ? this.#entries.get(token.jti) : undefined, this.#entries.get(userKey(token.sub)))
  }

  protected override async put (key: string, entry: Entry): Promise<void> {
    const seq = ++this.#seq
    let wake = () => {}
    const waiter = { heard: new Set<string>(), wake: () => wake() }
    this.#waiters.set(seq, waiter) // set before the announcement: an instance may answer before the query below does
    try {
      await this.#db.transaction(async (tx) => {
        await record(tx, key, entry)
        await tx.query('SELECT pg_notify($1, $2)',
          [CHANNEL, JSON.stringify({ kind: 'revoked', from: this.#id, seq, key, entry } satisfies Message)])
      })
      const now = Date.now()
      for (const [known, { expires }] of this.#entries) if (expires < now) this.#entries.delete(known)
      this.#entries.set(key, later(this.#entries.get(key), entry))
      const { rows } = await this.#db.query<{ instance: string, left_ms: number }>(
        `SELECT instance, extract(epoch FROM alive_until - now()) * 1000 AS left_ms
         FROM revocation_listener WHERE alive_until > now() AND instance <> $1`, [this.#id])
      const asked = Date.now()
      let waiting = rows.map((row) => ({ instance: row.instance, until: asked + Number(row.left_ms) }))
      while ((waiting = waiting.filter((lease) => !waiter.heard.has(lease.instance) && lease.until > Date.now())).length > 0) {
        const soonest = Math.min(...waiting.map((lease) => lease.until))
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, soonest - Date.now())
          wake = () => { clearTimeout(timer); resolve() }
        })
      }
    } finally {
      this.#waiters.delete(seq)
    }
  }

  override async close (): Promise<void> {
    clearInterval(this.#beating)
    this.#closed = true
    const unlisten = this.#unlisten
    this.#unlisten = undefined
    await unlisten?.()
    // A database already gone (closed first, unreachable) keeps the lease until it runs out: logouts wait that long.
    await this.#db.query('DELETE FROM revocation_listener WHERE instance = $1', [this.#id]).catch(() => {})
  }
}
