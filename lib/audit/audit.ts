import type { Database, Queryable } from '../db/database.js'

/** Who acted: a person (their Cognito sub) or a program (its app client id), and from where. */
export interface Actor {
  id: string
  kind: 'person' | 'program'
  address: string | null
}

/** What was done, to what, in words that name no customer by name or number. */
export interface AuditEntry {
  action: string
  target_type?: string
  target_id?: string
  summary: string
}

export async function recordAudit (db: Queryable, actor: Actor, entry: AuditEntry): Promise<void> {
  await db.query(
    `INSERT INTO audit_event (actor, actor_kind, address, action, target_type, target_id, summary)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [actor.id, actor.kind, actor.address, entry.action, entry.target_type ?? null, entry.target_id ?? null, entry.summary]
  )
}

/** `db` seen from inside the transaction `tx`: its statements, and any transaction it opens, are part of that one. */
function within (db: Database, tx: Queryable): Database {
  return Object.assign(Object.create(db) as Database, {
    query: tx.query.bind(tx),
    exec: tx.exec.bind(tx),
    transaction: async <T>(work: (inner: Queryable) => Promise<T>) => await work(tx)
  })
}

/**
 * Runs `action` and records the entry `describe` makes of its result in one transaction: both happen or neither
 * does. For actions that neither
 * wait on the network nor must keep a record of their own failure.
 */
export async function audited<T> (db: Database, actor: Actor, action: (db: Database) => Promise<T>,
  describe: (result: T) => AuditEntry | undefined): Promise<T> {
  return await db.transaction(async (tx) => {
    const result = await action(within(db, tx))
    const entry = describe(result) // none: nothing was done (a campaign not found)
    if (entry) await recordAudit(tx, actor, entry)
    return result
  })
}

/**
 * `db` for an action that keeps its own transactions (it records its failures, or it dials between them): `entry`
 * is written in the first of them, so it is there exactly when that transaction's work is.
 */
export function auditingFirstTransaction (db: Database, actor: Actor, entry: AuditEntry): Database {
  let written = false
  const transaction = async <T>(work: (tx: Queryable) => Promise<T>) => await db.transaction(async (tx) => {
    const result = await work(tx)
    if (!written) await recordAudit(tx, actor, entry)
    written = true
    return result
  })
  return new Proxy(db, { get: (target, name, receiver) => name === 'transaction' ? transaction : Reflect.get(target, name, receiver) })
}

export interface AuditQuery {
  limit: number
  offset: number
  action?: string
  actor?: string
  target_type?: string
  target_id?: string
  from?: string
  to?: string
}

export interface AuditEvent {
  id: string
  at: Date
  actor: string
  actor_kind: 'person' | 'program'
  address: string | null
  action: string
  target_type: string | null
  target_id: string | null
  summary: string
}

/** The trail, newest first, a page at a time. `action` matches a whole action or a prefix ending in a dot. */
export async function listAudit (db: Queryable, query: AuditQuery): Promise<{ events: AuditEvent[], total: number }> {
  const params: unknown[] = []
  const where: string[] = []
  const add = (clause: (n: string) => string, value: unknown) => {
    params.push(value)
    where.push(clause(`$${params.length}`))
  }
  if (query.action) {
    if (query.action.endsWith('.')) add((n) => `starts_with(action, ${n})`, query.action)
    else add((n) => `action = ${n}`, query.action)
  }
  if (query.actor) add((n) => `actor = ${n}`, query.actor)
  if (query.target_type) add((n) => `target_type = ${n}`, query.target_type)
  if (query.target_id) add((n) => `target_id = ${n}`, query.target_id)
  if (query.from) add((n) => `at >= ${n}`, query.from)
  if (query.to) add((n) => `at < ${n}`, query.to)
  const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''
  const { rows } = await db.query<AuditEvent & { total: number }>(
    `SELECT id::text, at, actor, actor_kind, address, action, target_type, target_id, summary, count(*) OVER ()::int AS total
     FROM audit_event ${filter} ORDER BY at DESC, id DESC LIMIT ${query.limit} OFFSET ${query.offset}`, params
  )
  const total = rows[0]?.total ?? (query.offset > 0
    ? Number((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_event ${filter}`, params)).rows[0]!.n)
    : 0)
  return { events: rows.map(({ total: _total, ...event }) => event), total }
}
