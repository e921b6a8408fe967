import t from 'tap'
import type { Database } from '../../../lib/db/database.js'
import { claimedBy, openRevocationList, type RevocationList } from '../../../lib/auth/revocations.js'
import { engines, migratedDatabase } from '../../helper.js'

const inAnHour = () => new Date(Date.now() + 3_600_000)
const now = () => Math.floor(Date.now() / 1000)
/** Whether a token with this id (of some user, issued now) is revoked. */
const revoked = async (list: RevocationList, jti: string) => await list.refusal({ jti, sub: 'someone', iat: now() }) === 'revoked'

/** A list closed when the test ends (on a PostgreSQL server, it listens and holds a lease). */
async function opened (t: { teardown (fn: () => unknown): void }, db: Database): Promise<RevocationList> {
  const list = await openRevocationList(db)
  t.teardown(() => list.close())
  return list
}

for (const engine of engines) {
  t.test(`${engine.name}: a revoked token stays refused, an unrevoked one passes`, async (t) => {
    const db = await migratedDatabase(t, engine)

    const list = await opened(t, db)
    t.equal(await revoked(list, 'a'), false)
    await list.revoke('a', inAnHour())
    await list.revoke('a', inAnHour())
    t.equal(await revoked(list, 'a'), true)
    t.equal(await revoked(list, 'b'), false)

    const reopened = await opened(t, db)
    t.equal(await revoked(reopened, 'a'), true, 'a new list (a restart, another instance) reads what was revoked')

    await db.query("INSERT INTO revoked_token (jti, expires_at) VALUES ('old', now() - interval '1 hour')")
    if (engine.name === 'pglite') {
      t.equal(await revoked((await opened(t, db)), 'old'), false,
        'an expired row is not loaded into memory (its token no longer verifies anyway)')
    }
    await list.revoke('c', inAnHour())
    const rows = await db.query<{ jti: string }>('SELECT jti FROM revoked_token ORDER BY jti')
    t.same(rows.rows.map((row) => row.jti), ['a', 'c'], 'writing a revocation purges the expired rows')
  })
}

t.test('pglite: the in-memory mirror forgets revocations whose tokens have expired', async (t) => {
  const db = await migrated(t)
  const list = await openRevocationList(db)
  await list.revoke('soon', new Date(Date.now() + 30))
  t.equal(await revoked(list, 'soon'), true)
  await new Promise((resolve) => setTimeout(resolve, 50))
  await list.revoke('later', inAnHour())
  t.equal(await revoked(list, 'soon'), false)
  t.equal(await revoked(list, 'later'), true)
})

t.test('on a PostgreSQL server with no copy in memory, checks that arrive during a query share the next one', async (t) => {
  const db = await migrated(t)
  const queries: unknown[][] = []
  let fail = false
  // The shared list as it runs on a server: every check reads the table.
  const server: Database = {
    ...db,
    engine: 'postgres',
    query: async (sql: string, params?: unknown[]) => {
      queries.push(params ?? [])
      if (fail) throw new Error('connection lost')
      return await db.query(sql, params)
    }
  } as Database
  const list = await openRevocationList(server, { leaseMs: 0 })
  await list.revoke('gone', inAnHour())
  queries.length = 0

  const answers = await Promise.all(['x', 'gone', 'y', 'gone', 'z'].map((jti) => revoked(list, jti)))
  t.same(answers, [false, true, false, true, false])
  t.same(queries, [[['x', 'user:someone', 'gone', 'y', 'z']]],
    'checks made together go in one query, with the user\'s key')

  fail = true
  const failed = ['x', 'y'].map((jti) => revoked(list, jti))
  for (const check of failed) await t.rejects(check, /connection lost/, 'every waiting check hears of the failure')
  fail = false
  t.equal(await revoked(list, 'gone'), true, 'and the next check queries again')
})

for (const engine of engines) {
  t.test(`${engine.name}: a user's cut-off refuses their tokens issued before it, not those issued after`, async (t) => {
    const db = await migratedDatabase(t, engine)
    const list = await opened(t, db)
    const at = now()
    t.equal(await list.refusal({ sub: 'ana', iat: at - 10 }), undefined)
    await list.cutOff('ana', new Date(at * 1000), inAnHour())
    t.equal(await list.refusal({ jti: 'j1', sub: 'ana', iat: at - 10 }), 'cut-off', 'a token from before the change')
    t.equal(await list.refusal({ jti: 'j2', sub: 'ana', iat: at }), undefined, 'a token from the second of the change on')
    t.equal(await list.refusal({ sub: 'ben', iat: at - 10 }), undefined, 'another user\'s tokens')
    await list.cutOff('ana', new Date((at + 60) * 1000), inAnHour())
    t.equal(await (await opened(t, db)).refusal({ sub: 'ana', iat: at }), 'cut-off',
      'a later change moves the cut-off, and a new list (another instance) reads it')
  })
}

async function migrated (t: { teardown (fn: () => unknown): void }): Promise<Database> {
  return await migratedDatabase(t)
}

t.test('what a token says of itself is read unchecked, and nobody is read from what cannot be', async (t) => {
  const token = (payload: string) => `e30.${Buffer.from(payload).toString('base64url')}.sig`
  t.same(claimedBy(token('{"sub":"u1","jti":"j1","iat":5}')), { sub: 'u1', jti: 'j1', iat: 5 })
  t.same(claimedBy(token('{"jti":"j1"}')), { sub: '', iat: 0 }, 'no subject')
  t.same(claimedBy(token('null')), { sub: '', iat: 0 }, 'no claims')
  t.same(claimedBy(token('not json')), { sub: '', iat: 0 }, 'not JSON')
})

/**
 * One instance of a PostgreSQL deployment, on a real database of either engine (both speak LISTEN/NOTIFY): its
 * queries are counted, its LISTEN session can be made deaf, and queries matching `failing` fail.
 */
async function instance (db: Database, leaseMs: number) {
  const state = { queries: 0, failed: 0, deaf: false, failing: undefined as RegExp | undefined, stalling: undefined as RegExp | undefined }
  const server: Database = {
    ...db,
    engine: 'postgres',
    query: async (sql: string, params?: unknown[]) => {
      state.queries++
      if (state.failing?.test(sql)) {
        state.failed++
        throw new Error('connection lost')
      }
      if (state.stalling?.test(sql)) await new Promise((resolve) => setTimeout(resolve, 300)) // a slow server
      return await db.query(sql, params)
    },
    listen: async (channel, onMessage) => await db.listen(channel, (payload) => { if (!state.deaf) onMessage(payload) })
  } as Database
  const list = await openRevocationList(server, { leaseMs })
  /** Whether a check of this token is answered from memory (no query), and its answer. */
  const check = async (jti: string) => {
    const before = state.queries
    const answer = await revoked(list, jti)
    return { fromMemory: state.queries === before, answer }
  }
  return { list, state, check }
}

/** Checks until one is answered from memory (a heartbeat came back on a lease), or as the table says when `memory` is false. */
async function until (check: () => Promise<{ fromMemory: boolean }>, memory = true) {
  while ((await check()).fromMemory !== memory) await new Promise((resolve) => setTimeout(resolve, 20))
}

for (const engine of engines) {
  t.test(`${engine.name}: instances sharing a server answer from memory, and a logout waits until every one has heard it`, async (t) => {
    const db = await migratedDatabase(t, engine)
    const one = await instance(db, 2000)
    const two = await instance(db, 2000)
    t.teardown(async () => { await one.list.close(); await two.list.close() })
    await until(() => two.check('nobody'))
    await until(() => one.check('nobody'))

    await one.list.revoke('a', inAnHour())
    t.same(await two.check('a'), { fromMemory: true, answer: true }, 'the other instance has it when revoke returns')
    t.same(await one.check('a'), { fromMemory: true, answer: true })
    await one.list.revoke('soon', new Date(Date.now() + 30))
    await new Promise((resolve) => setTimeout(resolve, 50))
    await one.list.revoke('later', inAnHour())
    t.same(await one.check('soon'), { fromMemory: true, answer: false }, 'a revocation whose token has expired is forgotten')
    await two.list.cutOff('ana', new Date(), inAnHour())
    t.equal(await one.list.refusal({ sub: 'ana', iat: now() - 10 }), 'cut-off')

    // An instance that holds a lease and has not said it heard is waited for.
    await db.query("INSERT INTO revocation_listener (instance, alive_until) VALUES ('slow', now() + interval '1 hour')")
    let heardOf: (message: { seq: number, from: string }) => void
    const heard = new Promise<{ seq: number, from: string }>((resolve) => { heardOf = resolve })
    const unlisten = await db.listen('revoked_token', (payload) => {
      const message = JSON.parse(payload)
      if (message.kind === 'revoked' && message.key === 'b') heardOf(message)
    })
    t.teardown(unlisten)
    let done = false
    const revoking = one.list.revoke('b', inAnHour()).then(() => { done = true })
    const { seq, from } = await heard
    await new Promise((resolve) => setTimeout(resolve, 300))
    t.equal(done, false, 'the logout waits for the slow instance')
    await db.query('SELECT pg_notify($1, $2)',
      ['revoked_token', JSON.stringify({ kind: 'heard', to: from, seq, from: 'slow' })])
    await revoking
    t.equal(done, true, 'and answers once it says it heard')

    // One whose lease runs out without a word is waited for no longer than its lease.
    await db.query("UPDATE revocation_listener SET alive_until = now() + interval '200 milliseconds' WHERE instance = 'slow'")
    const started = Date.now()
    await one.list.revoke('c', inAnHour())
    t.ok(Date.now() - started >= 150, 'the logout waited for the silent lease to run out')

    await two.list.close()
    t.same((await db.query("SELECT instance FROM revocation_listener WHERE alive_until > now() AND instance <> 'slow'")).rowCount, 1,
      'a closed instance gives up its lease')
    t.same(await two.check('c'), { fromMemory: false, answer: true }, 'and reads the table')
  })

  t.test(`${engine.name}: an instance that stops hearing reads the table, and reloads it before answering from memory again`, async (t) => {
    const db = await migratedDatabase(t, engine)
    const one = await instance(db, 2000)
    const deaf = await instance(db, 500)
    t.teardown(async () => { await one.list.close(); await deaf.list.close() })
    await until(() => deaf.check('nobody'))
    await until(() => one.check('nobody'))

    deaf.state.deaf = true
    await until(() => deaf.check('nobody'), false)
    await one.list.revoke('missed', inAnHour()) // it cannot say it heard: its lease runs out first
    t.same(await deaf.check('missed'), { fromMemory: false, answer: true }, 'a deaf instance reads the table')

    deaf.state.failing = /revoked_token WHERE expires_at/
    deaf.state.deaf = false
    while (deaf.state.failed === 0) await new Promise((resolve) => setTimeout(resolve, 20)) // a heartbeat came back on a lease
    t.equal((await deaf.check('nobody')).fromMemory, false, 'hearing again, it does not trust a copy it could not reload')
    deaf.state.failing = undefined
    await until(() => deaf.check('nobody'))
    t.same(await deaf.check('missed'), { fromMemory: true, answer: true }, 'the reloaded copy has what it missed')

    deaf.state.failing = /pg_notify/
    await one.list.revoke('unanswered', inAnHour()) // it hears, but cannot say so: waited for until its lease runs out
    t.same(await deaf.check('unanswered'), { fromMemory: false, answer: true }, 'its heartbeats fail too, so it stops trusting its copy')
    deaf.state.failing = /revocation_listener/
    await deaf.list.close()
    t.pass('a close that cannot give up its lease (the database gone) leaves it to run out')
    deaf.state.failing = undefined
  })
  t.test(`${engine.name}: a closed instance never trusts its copy again, though a reload finishes after the close`, async (t) => {
    const db = await migratedDatabase(t, engine)
    const closing = await instance(db, 2000)
    closing.state.stalling = /revoked_token WHERE expires_at/
    // Its first heartbeat comes back and starts a reload of the table, slowed down; it closes meanwhile.
    while (closing.state.queries < 2) await new Promise((resolve) => setTimeout(resolve, 5))
    await closing.list.close()
    await new Promise((resolve) => setTimeout(resolve, 500)) // the reload has finished
    t.same(await closing.check('nobody'), { fromMemory: false, answer: false }, 'it reads the table')
  })
}
