import Fastify from 'fastify'
import fp from 'fastify-plugin'
import t from 'tap'
import app from '../../app.js'
import { openDatabase } from '../../lib/db/database.js'
import { appMigrationsAnd, build, capturingLogger, freshPostgresDatabase, seededDataDir } from '../helper.js'

t.test('the app migrates its database at start-up and logs what it applied', async (t) => {
  const dataDir = await seededDataDir(t) // the app's migrations applied, as on a server that ran before
  const migrationsDir = await appMigrationsAnd({ '900.do.widgets.sql': 'CREATE TABLE widget (id int);' })
  const { lines, logger } = capturingLogger()
  const first = await build(t, { env: { DATA_DIR: dataDir }, migrationsDir, logger })
  await first.db.query('INSERT INTO widget VALUES (1)')
  t.ok(lines.some((line) => /"version":900,"name":"widgets","msg":"migration applied"/.test(line)))
  // A newer build ran here once: its migration is recorded, but this build has no file for it.
  await first.db.query("INSERT INTO schema_migrations (version, name, checksum) VALUES (901, 'newer', 'x')")
  await first.close()

  const second = capturingLogger()
  const app2 = await build(t, { env: { DATA_DIR: dataDir }, migrationsDir, logger: second.logger })
  t.same((await app2.db.query('SELECT id FROM widget')).rows, [{ id: 1 }], 'nothing re-applied, nothing lost')
  t.notOk(second.lines.some((line) => line.includes('migration applied')))
  t.ok(second.lines.some((line) => /"versions":\[901\].*this build does not know/.test(line)))
})

t.test('a failing migration stops the start and closes the database', async (t) => {
  const dataDir = await seededDataDir(t) // the app's migrations applied, as on a server that ran before
  const migrationsDir = await appMigrationsAnd({ '900.do.broken.sql': 'CREATE TABLE ok (id int); SELEC 1;' })
  const server = Fastify({ pluginTimeout: 0 })
  server.register(fp(app), { env: { DATA_DIR: dataDir }, migrationsDir })
  await t.rejects(async () => { await server.ready() }, /syntax error/)

  // PGlite holds its folder while open: opening it again succeeds only because the failed start closed it.
  const healthy = await build(t, { env: { DATA_DIR: dataDir }, migrationsDir: await appMigrationsAnd({}) })
  const { rows } = await healthy.db.query<{ n: number }>(
    "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'ok'"
  )
  t.equal(rows[0]!.n, 0, 'the failed migration left nothing behind')
})

if (process.env.TEST_DATABASE_URL) {
  t.test('postgres: a lost idle connection is logged as a warning', async (t) => {
    const url = await freshPostgresDatabase(t)
    const { lines, logger } = capturingLogger()
    const app = await build(t, { env: { DATABASE_URL: url }, logger })
    await app.db.query('SELECT 1')
    const admin = await openDatabase({ url: process.env.TEST_DATABASE_URL, dataDir: 'unused' })
    t.teardown(() => admin.close())
    const name = new URL(url).pathname.slice(1)
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name])
    for (let i = 0; i < 50 && !lines.some((l) => l.includes('database connection lost')); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    t.ok(lines.some((line) => line.includes('"level":40') && line.includes('database connection lost')))
  })
}
