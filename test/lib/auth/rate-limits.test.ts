import t from 'tap'
import { AttemptCounter, countRequest, databaseStore } from '../../../lib/auth/rate-limits.js'
import { migratedDatabase } from '../../helper.js'

async function database (t: { teardown (fn: () => unknown): void }) {
  return await migratedDatabase(t)
}

t.test('allows max attempts per key per window, then says how long to wait; a new window starts afresh', async (t) => {
  const db = await database(t)
  const counter = new AttemptCounter(() => db, 'email', 2, 1000)
  t.same(await counter.hit('a'), { allowed: true })
  t.same(await counter.hit('a'), { allowed: true })
  t.same(await counter.hit('b'), { allowed: true }, 'keys count apart')
  t.same(await counter.hit('a'), { allowed: false, retryAfterSeconds: 1 })
  t.same(await new AttemptCounter(() => db, 'other', 2, 1000).hit('a'), { allowed: true }, 'and so do counters')
  await new Promise((resolve) => setTimeout(resolve, 1100))
  t.same(await counter.hit('a'), { allowed: true }, 'a new window starts when the old one ends')
})

t.test('windows that ended over an hour ago are purged as requests come', async (t) => {
  const db = await database(t)
  await db.query("INSERT INTO rate_limit (key, count, window_ends) VALUES ('old', 9, now() - interval '2 hours')")
  t.match(await countRequest(db, 'new', 60_000), { count: 1 })
  t.same((await db.query('SELECT key FROM rate_limit ORDER BY key')).rows, [{ key: 'new' }])
})

t.test('the rate-limit store counts per hook, and passes on a database failure', async (t) => {
  const db = await database(t)
  const Store = databaseStore(() => db)
  const store = new Store({})
  const incr = (target: InstanceType<typeof Store>, key: string) => new Promise((resolve, reject) => {
    target.incr(key, (error, result) => { if (error) reject(error); else resolve(result) }, 60_000)
  })
  t.match(await incr(store, '10.0.0.1'), { current: 1 })
  t.match(await incr(store, '10.0.0.1'), { current: 2 })
  const hook = store.child({ timeWindow: 60_000, max: 5 })
  t.match(await incr(hook, '10.0.0.1'), { current: 1, ttl: Number }, 'another hook counts apart')
  await db.close()
  await t.rejects(incr(hook, '10.0.0.1'), 'a failure reaches the plugin (which answers 500)')
})
