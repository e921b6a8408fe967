import t from 'tap'
import type { Database } from '../../../lib/db/database.js'
import { claimedBy, openRevocationList, type RevocationList } from '../../../lib/auth/revocations.js'
import { engines, migratedDatabase } from '../../helper.js'

const inAnHour = () => new Date(Date.now() + 3_600_000)
const now = () => Math.floor(Date.now() / 1000)
/** Whether a token with this id (of some user, issued now) is revoked. */
const revoked = async (list: RevocationList, jti: string) => await list.refusal({ jti, sub: 'someone', iat: now() }) === 'revoked'

for (const engine of engines) {
  t.test(`${engine.name}: a revoked token stays refused, an unrevoked one passes`, async (t) => {
    const db = await migratedDatabase(t, engine)

    const list = await openRevocationList(db)
    t.equal(await revoked(list, 'a'), false)
    await list.revoke('a', inAnHour())
    await list.revoke('a', inAnHour())
    t.equal(await revoked(list, 'a'), true)
    t.equal(await revoked(list, 'b'), false)

    const reopened = await openRevocationList(db)
    t.equal(await revoked(reopened, 'a'), true, 'a new list (a restart, another instance) reads what was revoked')

    await db.query("INSERT INTO revoked_token (jti, expires_at) VALUES ('old', now() - interval '1 hour')")
    if (engine.name === 'pglite') {
      t.equal(await revoked((await openRevocationList(db)), 'old'), false,
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

t.test('on a PostgreSQL server, checks that arrive during a query share the next one', async (t) => {
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
  const list = await openRevocationList(server)
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
    const list = await openRevocationList(db)
    const at = now()
    t.equal(await list.refusal({ sub: 'ana', iat: at - 10 }), undefined)
    await list.cutOff('ana', new Date(at * 1000), inAnHour())
    t.equal(await list.refusal({ jti: 'j1', sub: 'ana', iat: at - 10 }), 'cut-off', 'a token from before the change')
    t.equal(await list.refusal({ jti: 'j2', sub: 'ana', iat: at }), undefined, 'a token from the second of the change on')
    t.equal(await list.refusal({ sub: 'ben', iat: at - 10 }), undefined, 'another user\'s tokens')
    await list.cutOff('ana', new Date((at + 60) * 1000), inAnHour())
    t.equal(await (await openRevocationList(db)).refusal({ sub: 'ana', iat: at }), 'cut-off',
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
