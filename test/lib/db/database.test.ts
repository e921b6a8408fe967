import { createServer, type AddressInfo, type Socket } from 'node:net'
import t from 'tap'
import { openDatabase } from '../../../lib/db/database.js'
import { serverName } from '../../../lib/db/postgres.js'
import { engines } from '../../helper.js'

for (const engine of engines) {
  t.test(`${engine.name}: queries, transactions and closing`, async (t) => {
    const env = await engine.env(t)
    const db = await openDatabase({ url: env.DATABASE_URL, dataDir: env.DATA_DIR ?? 'memory://' })
    t.teardown(() => db.close())
    t.equal(db.engine, engine.name)

    await db.exec('CREATE TABLE note (id bigserial PRIMARY KEY, body text NOT NULL); CREATE INDEX ON note (body)')
    const inserted = await db.query<{ id: number }>(
      'INSERT INTO note (body) VALUES ($1), ($2) RETURNING id', ['first', 'second']
    )
    t.equal(inserted.rowCount, 2, 'rowCount counts inserted rows')
    t.same(inserted.rows.map((row) => row.id), [1, 2], 'bigint ids come back as numbers on both engines')

    const updated = await db.query("UPDATE note SET body = body || '!'")
    t.equal(updated.rowCount, 2, 'rowCount counts updated rows')
    const count = await db.query<{ n: number }>('SELECT count(*) AS n FROM note')
    t.equal(count.rows[0]!.n, 2, 'count(*) is a number, not a string')

    const committed = await db.transaction(async (tx) => {
      await tx.query('INSERT INTO note (body) VALUES ($1)', ['third'])
      return 'done'
    })
    t.equal(committed, 'done', 'the transaction answers what its work answered')

    await t.rejects(db.transaction(async (tx) => {
      await tx.query('INSERT INTO note (body) VALUES ($1)', ['lost'])
      await tx.exec('INSERT INTO note (body) VALUES (NULL)')
    }), /null value/)
    const bodies = await db.query<{ body: string }>('SELECT body FROM note ORDER BY id')
    t.same(bodies.rows.map((row) => row.body), ['first!', 'second!', 'third'], 'a failed transaction leaves nothing')

    await db.close()
    await db.close()
    await t.rejects(db.query('SELECT 1'), 'a closed database refuses queries')
  })
}

if (process.env.TEST_DATABASE_URL) {
  t.test('postgres: an unreachable server fails at open, not at the first request', async (t) => {
    await t.rejects(openDatabase({ url: 'postgres://nobody@127.0.0.1:1/none', dataDir: 'unused' }),
      { message: /^The database server 127\.0\.0\.1:1\/none did not let us connect within 30 s \(connect ECONNREFUSED/ })
  })

  t.test('postgres: a statement past the timeout is cancelled, with an error', async (t) => {
    const db = await openDatabase({ url: (await engines.at(-1)!.env(t)).DATABASE_URL!, dataDir: 'unused', timeoutMs: 500 })
    t.teardown(() => db.close())
    await t.rejects(db.query('SELECT pg_sleep(3)'), { message: /statement timeout|Query read timeout/ })
    t.same((await db.query('SELECT 1 AS one')).rows, [{ one: 1 }], 'and the pool carries on')
  })
}

t.test('a server is named by host, port (5432 unless given) and database, never by its user or password', async (t) => {
  t.equal(serverName('postgres://vcm:hunter2@db.internal/calls'), 'db.internal:5432/calls')
  t.equal(serverName('postgresql://db.internal:6543/calls?sslmode=require'), 'db.internal:6543/calls')
})

t.test('a server that accepts connections but never answers fails the start in time, naming it (no password)', async (t) => {
  const sockets: Socket[] = []
  const silent = createServer((socket) => { sockets.push(socket) }) // reads nothing, answers nothing
  await new Promise<void>((resolve) => silent.listen({ host: '127.0.0.1', port: 0 }, resolve))
  t.teardown(() => { for (const socket of sockets) socket.destroy(); silent.close() })
  const { port } = silent.address() as AddressInfo
  const started = Date.now()
  const error = await openDatabase({ url: `postgres://vcm:hunter2@127.0.0.1:${port}/calls`, dataDir: 'unused', timeoutMs: 300 })
    .then(() => null, (error: Error) => error)
  t.match(error?.message, new RegExp(`^The database server 127\\.0\\.0\\.1:${port}/calls did not let us connect within 0\\.3 s`))
  t.notMatch(error?.message, /hunter2|vcm:/)
  t.ok(Date.now() - started < 5000, 'in about the timeout, not minutes')
})

t.test('rowCount counts the rows of a SELECT, and none for DDL, on every engine', async (t) => {
  for (const engine of engines) {
    const env = await engine.env(t)
    const db = await openDatabase({ url: env.DATABASE_URL, dataDir: 'memory://' })
    t.teardown(() => db.close())
    const result = await db.query('SELECT * FROM generate_series(1, 3)')
    t.equal(result.rowCount, 3, engine.name)
    const ddl = await db.query('CREATE TABLE nothing_counted (id int)')
    t.equal(ddl.rowCount, 0, `${engine.name}: a statement without rows counts none`)
  }
})

if (process.env.TEST_DATABASE_URL) {
  t.test('postgres: a connection that dies inside a transaction is discarded, and the pool carries on', async (t) => {
    const url = await engines.find((e) => e.name === 'postgres')!.env(t)
    const lost: Error[] = []
    const db = await openDatabase({ url: url.DATABASE_URL, dataDir: 'unused', onIdleError: (e) => lost.push(e) })
    t.teardown(() => db.close())

    await t.rejects(db.transaction(async (tx) => {
      await tx.query('SELECT pg_terminate_backend(pg_backend_pid())')
    }), /terminat/)
    const after = await db.query<{ one: number }>('SELECT 1 AS one')
    t.same(after.rows, [{ one: 1 }], 'the next query gets a healthy connection')

    // An idle pooled connection killed from outside is reported, not thrown at the process.
    const admin = await openDatabase({ url: process.env.TEST_DATABASE_URL, dataDir: 'unused' })
    t.teardown(() => admin.close())
    const name = new URL(url.DATABASE_URL!).pathname.slice(1)
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name])
    for (let i = 0; i < 50 && lost.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20))
    t.equal(lost.length, 1, 'the idle connection loss was reported')
    t.same((await db.query('SELECT 1 AS one')).rows, [{ one: 1 }], 'and the pool reconnects')
  })
}

t.test('errors keep what PostgreSQL says of them (the code a unique violation is known by) on every engine', async (t) => {
  for (const engine of engines) {
    const env = await engine.env(t)
    const db = await openDatabase({ url: env.DATABASE_URL, dataDir: 'memory://' })
    t.teardown(() => db.close())
    await db.exec('CREATE TABLE once_only (id int PRIMARY KEY)')
    await db.query('INSERT INTO once_only VALUES (1)')
    await t.rejects(db.transaction(async (tx) => await tx.query('INSERT INTO once_only VALUES (1)')),
      { code: '23505', constraint: 'once_only_pkey', message: /duplicate key/ }, engine.name)
    // A deferred constraint is checked at COMMIT: the transaction fails there, and keeps nothing.
    await db.exec('CREATE TABLE once_at_commit (id int, UNIQUE (id) DEFERRABLE INITIALLY DEFERRED)')
    await t.rejects(db.transaction(async (tx) => await tx.query('INSERT INTO once_at_commit VALUES (1), (1)')),
      { code: '23505' }, `${engine.name}: at commit`)
    t.same((await db.query('SELECT * FROM once_at_commit')).rows, [])
  }
})

t.test('pglite: the engine on its own thread', async (t) => {
  const db = await openDatabase({ dataDir: 'memory://' })
  t.teardown(() => db.close())

  await t.rejects(db.query('SELECT $1::text', [() => 'a function']), { name: 'DataCloneError' },
    'a parameter that cannot be sent is refused here')
  t.same((await db.query('SELECT 1 AS one')).rows, [{ one: 1 }], 'and nothing is left waiting')

  const heard: string[] = []
  const stop = await db.listen('things', (payload) => heard.push(payload))
  await db.query("SELECT pg_notify('things', 'first')")
  await stop()
  await db.query("SELECT pg_notify('things', 'second')")
  t.same(heard, ['first'], 'notifications are heard until the listener stops')

  // A transaction holds the one connection: a query from outside it waits for its end.
  const order: string[] = []
  let inside!: () => void
  const held = new Promise<void>((resolve) => { inside = resolve })
  const transaction = db.transaction(async (tx) => {
    inside()
    await new Promise((resolve) => setTimeout(resolve, 50))
    await tx.query('SELECT 1')
    order.push('transaction')
  })
  await held
  await db.query('SELECT 1')
  order.push('outside')
  await transaction
  t.same(order, ['transaction', 'outside'])

  await t.rejects(openDatabase({ dataDir: 'memory://', startFrom: new Blob(['not an archive']) }),
    'a database the engine cannot open fails the start')
  await db.close()
  await stop() // a listener stopped after the close is already stopped
})
