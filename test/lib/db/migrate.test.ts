import t from 'tap'
import { openDatabase, type Database } from '../../../lib/db/database.js'
import { loadMigrations, migrate } from '../../../lib/db/migrate.js'
import { engines, freshPostgresDatabase, migrationsFolder } from '../../helper.js'

const first = {
  '001.do.create-account.sql': 'CREATE TABLE account (id serial PRIMARY KEY, email text NOT NULL UNIQUE);',
  '002.do.add-name.sql': "ALTER TABLE account ADD COLUMN name text; INSERT INTO account (email) VALUES ('a@b.c');",
  'README.md': 'not a migration',
  '002.undo.add-name.sql': 'ALTER TABLE account DROP COLUMN name;'
}

async function tables (db: Database): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
  )
  return rows.map((row) => row.name)
}

t.test('loadMigrations reads NNN.do.name.sql files in version order and nothing else', async (t) => {
  const dir = await migrationsFolder({ '010.do.later.sql': 'SELECT 1;', ...first })
  const migrations = await loadMigrations(dir)
  t.same(migrations.map((m) => [m.version, m.name]), [[1, 'create-account'], [2, 'add-name'], [10, 'later']])
  t.match(migrations[0]!.checksum, /^[0-9a-f]{64}$/)
})

t.test('loadMigrations refuses two files with one version', async (t) => {
  const dir = await migrationsFolder({ '001.do.a.sql': 'SELECT 1;', '1.do.b.sql': 'SELECT 2;' })
  await t.rejects(loadMigrations(dir), /Two migrations have version 1/)
})

for (const engine of engines) {
  t.test(`${engine.name}: migrations apply in order, exactly once`, async (t) => {
    const env = await engine.env(t)
    const db = await openDatabase({ url: env.DATABASE_URL, dataDir: 'memory://' })
    t.teardown(() => db.close())

    const migrations = await loadMigrations(await migrationsFolder(first))
    const report = await migrate(db, migrations)
    t.same(report.applied.map((m) => m.version), [1, 2])
    t.same(report.unknown, [])
    t.same(await tables(db), ['account', 'schema_migrations'])

    const again = await migrate(db, migrations)
    t.same(again.applied, [], 'a second start applies nothing')
    const accounts = await db.query('SELECT * FROM account')
    t.equal(accounts.rowCount, 1, 'the data migration ran once')

    const newer = await migrate(db, migrations.slice(0, 1))
    t.same(newer.unknown, [2], 'an older build reports the versions it does not know')

    const edited = await loadMigrations(await migrationsFolder({ ...first, '001.do.create-account.sql': 'SELECT 1;' }))
    await t.rejects(migrate(db, edited), /Migration 1 \(create-account\) was changed after it was applied/)
  })

  t.test(`${engine.name}: a failing migration leaves nothing half-applied`, async (t) => {
    const env = await engine.env(t)
    const db = await openDatabase({ url: env.DATABASE_URL, dataDir: 'memory://' })
    t.teardown(() => db.close())
    const broken = await loadMigrations(await migrationsFolder({
      ...first,
      '003.do.broken.sql': 'CREATE TABLE fine (id int); SELECT * FROM no_such_table;'
    }))
    await t.rejects(migrate(db, broken), /no_such_table/)
    t.same(await tables(db), [], 'neither the earlier migrations nor the bookkeeping table remain')

    const report = await migrate(db, broken.slice(0, 2))
    t.same(report.applied.map((m) => m.version), [1, 2], 'the good migrations apply once the bad one is gone')
  })
}

if (process.env.TEST_DATABASE_URL) {
  t.test('postgres: instances that start together each see every migration run exactly once', async (t) => {
    const url = await freshPostgresDatabase(t)
    const instances = await Promise.all([1, 2, 3, 4].map(() => openDatabase({ url, dataDir: 'unused' })))
    t.teardown(() => Promise.all(instances.map((db) => db.close())))
    const migrations = await loadMigrations(await migrationsFolder({
      ...first,
      // Slow enough that the instances overlap: without the lock, two would run it and the insert would fail.
      '003.do.slow.sql': "SELECT pg_sleep(0.2); INSERT INTO account (email) VALUES ('once@b.c');"
    }))
    const reports = await Promise.all(instances.map((db) => migrate(db, migrations)))
    t.same(reports.map((r) => r.applied.length).sort(), [0, 0, 0, 3], 'one instance applied all, the others none')
    const { rows } = await instances[0]!.query<{ n: number }>('SELECT count(*) AS n FROM account')
    t.equal(rows[0]!.n, 2)
  })
}
