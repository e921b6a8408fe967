import t from 'tap'
import { openDatabase } from '../lib/db/database.js'
import { FAST_CALLS, freshPostgresDatabase, personOnProcess, seededDataDir, startServerProcess } from './helper.js'

// A deploy: the real server gets SIGTERM while a call is live. /ready says 503 at once (a load balancer sends new
// work elsewhere), the call goes on to its own end with its outcome, and the process exits 0.
t.test('SIGTERM during a live call: the call finishes with its outcome, then the server exits 0', async (t) => {
  const dataDir = await seededDataDir(t)
  const server = await startServerProcess({ HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir, ...FAST_CALLS })
  t.teardown(() => { server.child.kill('SIGKILL') })
  const base = await server.address()
  const operator = await personOnProcess(server, () => base)
  t.equal((await operator.upload('customer_id,name,phone\nT1,Asha,9000000100\n')).status, 200)
  const { call } = await (await operator.post('/api/trigger-single-call', { customer_id: 'T1' })).json() as { call: { id: string } }
  const read = async () => ((await (await operator.get(`/api/calls/${call.id}`)).json()) as { call: { conversation: unknown } }).call
  for (let i = 0; i < 400 && !(await read()).conversation; i++) await new Promise((resolve) => setTimeout(resolve, 25))
  t.ok((await read()).conversation, 'the call is live: its stream has started')

  server.child.kill('SIGTERM')
  let ready: Response | undefined
  for (let i = 0; i < 100 && ready?.status !== 503; i++) ready = await fetch(`${base}/ready`)
  t.equal(ready!.status, 503, '/ready says 503 while the call goes on')
  t.equal(await server.exited, 0, 'the server exits 0 once the call has ended')
  t.match(server.output().stdout, /draining: no new work here; live calls go on to their end/)
  t.match(server.output().stdout, /drained: no live call left/)

  const db = await openDatabase({ dataDir })
  t.teardown(() => db.close())
  const { rows } = await db.query('SELECT outcome, stop_reason FROM call_conversation WHERE call_id = $1', [call.id])
  t.same(rows, [{ outcome: 'confirmed', stop_reason: 'hung up by the assistant' }], 'the call ended as it would have, with its outcome')
})

// Two instances on one PostgreSQL server: the one told to stop (SIGTERM) claims nothing more, and the other dials
// the rest of the campaign; nobody is dialled twice.
t.test('on PostgreSQL, a draining instance\'s queue is dialled by the other; nobody twice', { skip: !process.env.TEST_DATABASE_URL && 'no PostgreSQL' }, async (t) => {
  const url = await freshPostgresDatabase(t)
  const env = { HOST: '127.0.0.1', PORT: '0', DATABASE_URL: url, ...FAST_CALLS, CALLS_PER_MINUTE: '40' }
  const first = await startServerProcess({ ...env, DATA_DIR: await seededDataDir(t) })
  t.teardown(() => { first.child.kill('SIGKILL') })
  const base = await first.address()
  const second = await startServerProcess({ ...env, DATA_DIR: await seededDataDir(t) })
  t.teardown(() => { second.child.kill('SIGKILL') })
  await second.address()
  const operator = await personOnProcess(first, () => base)
  const customers = Array.from({ length: 8 }, (_, i) => `Q${i},Person ${i},90000001${i}0`)
  t.equal((await operator.upload(`customer_id,name,phone\n${customers.join('\n')}\n`)).status, 200)
  t.equal((await operator.post('/api/trigger-bulk-calls', { filter: {} })).status, 202)

  const db = await openDatabase({ url, dataDir: 'unused' })
  t.teardown(() => db.close())
  const dialled = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM call WHERE dialled_at IS NOT NULL')).rows[0]!.n
  for (let i = 0; i < 400 && await dialled() < 2; i++) await new Promise((resolve) => setTimeout(resolve, 25))
  first.child.kill('SIGTERM')
  const stoppedAt = new Date()
  t.equal(await first.exited, 0, 'the first instance drains and exits')
  for (let i = 0; i < 1200 && await dialled() < 8; i++) await new Promise((resolve) => setTimeout(resolve, 25))
  const { rows } = await db.query<{ customer_id: string, calls: number, after: boolean }>(
    `SELECT customer_id, count(*)::int AS calls, bool_or(dialled_at > $1) AS after FROM call WHERE dialled_at IS NOT NULL
     GROUP BY customer_id ORDER BY customer_id`, [stoppedAt])
  t.equal(rows.length, 8, 'every customer dialled')
  t.ok(rows.every((row) => row.calls === 1), 'nobody twice')
  t.ok(rows.some((row) => row.after), 'the rest dialled by the other instance after the first was told to stop')
  second.child.kill('SIGTERM')
  t.equal(await second.exited, 0)
})
