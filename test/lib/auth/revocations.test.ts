import t from 'tap'
import type { Database } from '../../../lib/db/database.js'
import { openRevocationList } from '../../../lib/auth/revocations.js'
import { engines, migratedDatabase } from '../../helper.js'

const inAnHour = () => new Date(Date.now() + 3_600_000)

for (const engine of engines) {
  t.test(`${engine.name}: a revoked token stays refused, an unrevoked one passes`, async (t) => {
    const db = await migratedDatabase(t, engine)

    const list = await openRevocationList(db)
    t.equal(await list.isRevoked('a'), false)
    await list.revoke('a', inAnHour())
    await list.revoke('a', inAnHour())
    t.equal(await list.isRevoked('a'), true)
    t.equal(await list.isRevoked('b'), false)

    const reopened = await openRevocationList(db)
    t.equal(await reopened.isRevoked('a'), true, 'a new list (a restart, another instance) reads what was revoked')

    await db.query("INSERT INTO revoked_token (jti, expires_at) VALUES ('old', now() - interval '1 hour')")
    if (engine.name === 'pglite') {
      t.equal(await (await openRevocationList(db)).isRevoked('old'), false,
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
  t.equal(await list.isRevoked('soon'), true)
  await new Promise((resolve) => setTimeout(resolve, 50))
  await list.revoke('later', inAnHour())
  t.equal(await list.isRevoked('soon'), false)
  t.equal(await list.isRevoked('later'), true)
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

  const answers = await Promise.all(['x', 'gone', 'y', 'gone', 'z'].map((jti) => list.isRevoked(jti)))
  t.same(answers, [false, true, false, true, false])
  t.same(queries, [[['x']], [['gone', 'y', 'z']]], 'the first check runs at once; the rest wait and go together')

  fail = true
  const failed = ['x', 'y'].map((jti) => list.isRevoked(jti))
  for (const check of failed) await t.rejects(check, /connection lost/, 'every waiting check hears of the failure')
  fail = false
  t.equal(await list.isRevoked('gone'), true, 'and the next check queries again')
})

async function migrated (t: { teardown (fn: () => unknown): void }): Promise<Database> {
  return await migratedDatabase(t)
}
