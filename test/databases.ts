import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { cp, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { PGlite, type Transaction } from '@electric-sql/pglite'
import pg from 'pg'
import { openDatabase, type Database, type Queryable } from '../lib/db/database.js'
import { loadMigrations, migrate } from '../lib/db/migrate.js'
import { projectRoot } from '../lib/server/project-root.js'

// The part of a tap test the helpers use.
interface Test { teardown (fn: () => unknown): void }

/** The database engines every database test runs on: PGlite always, a PostgreSQL server when one is given. */
export interface Engine {
  name: 'pglite' | 'postgres'
  /** The variables that point the app at a fresh, empty database of this engine, dropped after the test. */
  env (t: Test): Promise<Record<string, string>>
}

export const engines: Engine[] = [
  { name: 'pglite', env: async () => ({ DATA_DIR: 'memory://' }) }
]
if (process.env.TEST_DATABASE_URL) {
  engines.push({ name: 'postgres', env: async (t) => ({ DATABASE_URL: await freshPostgresDatabase(t) }) })
}

/** Creates an empty database on the TEST_DATABASE_URL server for one test, and drops it when the test ends. */
export async function freshPostgresDatabase (t: Test): Promise<string> {
  const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL })
  await admin.connect()
  const name = `vcm_test_${randomBytes(6).toString('hex')}`
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  t.teardown(async () => {
    const dropper = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL })
    await dropper.connect()
    await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await dropper.end()
  })
  const url = new URL(process.env.TEST_DATABASE_URL!)
  url.pathname = `/${name}`
  return url.toString()
}

let template: Promise<Blob> | undefined
let templateDir: Promise<string> | undefined

let key: ReturnType<typeof readTemplateKey> | undefined

/** The app's migrations, and a name for the database they make with this PGlite version: read once a process. */
const templateKey = () => (key ??= readTemplateKey())

async function readTemplateKey () {
  const migrations = await loadMigrations(path.join(projectRoot, 'migrations'))
  const { version } = JSON.parse(await readFile(path.join(projectRoot, 'node_modules/@electric-sql/pglite/package.json'), 'utf8'))
  const key = createHash('sha256').update(version).update(SLIMMED).update(migrations.map((m) => m.checksum).join()).digest('hex')
  return { migrations, name: path.join(tmpdir(), `vcm-test-pglite-${key.slice(0, 16)}`) }
}

/** A PGlite instance of this thread as the Database that migrate() uses: a transaction's queries. */
function onThisThread (pglite: PGlite): Database {
  const on = (tx: Transaction): Queryable => ({
    query: async (sql, params) => {
      const result = await tx.query<never>(sql, params)
      return { rows: result.rows, rowCount: result.rows.length }
    },
    exec: async (sql) => { await tx.exec(sql) }
  })
  return { transaction: async (work) => await pglite.transaction(async (tx) => await work(on(tx))) } as Partial<Database> as Database
}

/**
 * What the template's database is slimmed by, after its migrations (part of its name: a change makes a new one).
 * Each test's database starts from it, so each loads and starts faster: the apps connect to `postgres` only and
 * never create a database, so the two template databases go (a third less to copy in); and a test's database is
 * small, so 16 MB of shared buffers serve it as well as PostgreSQL's 128 MB, which take longer to set up.
 */
const SLIMMED = [
  "ALTER SYSTEM SET shared_buffers = '16MB'",
  "UPDATE pg_database SET datistemplate = false WHERE datname IN ('template0', 'template1')",
  'DROP DATABASE template0',
  'DROP DATABASE template1',
  'CHECKPOINT'
].join(';')

/**
 * An embedded database with every migration applied, as an archive to start from. PGlite's initdb costs seconds
 * a database, loading this archive a few hundred milliseconds: it is made once per run (kept in the system's
 * temporary folder, named by the PGlite version and the migrations, so that a change to either makes a new one)
 * and once read per test process.
 */
export async function pgliteTemplate (): Promise<Blob> {
  template ??= (async () => {
    const { migrations, name } = await templateKey()
    const file = `${name}.tar`
    const made = await readFile(file).catch(() => undefined)
    if (made) return new Blob([made])
    const pglite = await PGlite.create('memory://')
    await migrate(onThisThread(pglite), migrations)
    for (const sql of SLIMMED.split(';')) await pglite.query(sql) // (DROP DATABASE: one statement a query)
    const archive = await pglite.dumpDataDir('none')
    await pglite.close()
    // Written aside and renamed: test processes starting together never read half a file.
    const aside = `${file}.${process.pid}`
    await writeFile(aside, Buffer.from(await archive.arrayBuffer()))
    await rename(aside, file)
    return archive
  })()
  return await template
}

/**
 * Fills `dir` (which must not exist yet) with a migrated embedded database, copied from one made on disk once per
 * run: for the tests whose server keeps its data in a folder (restarts, the real entry point).
 */
export async function seedDataDir (dir: string): Promise<void> {
  templateDir ??= (async () => {
    const { name } = await templateKey()
    const made = `${name}.dir`
    if (existsSync(path.join(made, 'PG_VERSION'))) return made
    const aside = `${made}.${process.pid}`
    const pglite = await PGlite.create(aside, { loadDataDir: await pgliteTemplate() })
    await pglite.close()
    // Made aside and renamed; when another test process got there first, its copy is used.
    await rename(aside, made).catch(async () => await rm(aside, { recursive: true, force: true }))
    return made
  })()
  await cp(await templateDir, dir, { recursive: true, errorOnExist: true, force: false })
}

/** A new data folder (removed when the test ends) holding a migrated embedded database: see seedDataDir. */
export async function seededDataDir (t: Test): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'vcm-data-'))
  t.teardown(() => rm(root, { recursive: true, force: true }))
  const dir = path.join(root, 'data')
  await seedDataDir(dir)
  return dir
}

/**
 * A database of `engine` with every migration applied, closed when the test ends: for tests of lib/ modules that
 * need no app.
 */
export async function migratedDatabase (t: Test, engine: Engine = engines[0]!): Promise<Database> {
  const env = await engine.env(t)
  const db = env.DATABASE_URL
    ? await openDatabase({ url: env.DATABASE_URL, dataDir: 'unused' })
    : await openDatabase({ dataDir: 'memory://', startFrom: await pgliteTemplate() })
  t.teardown(() => db.close())
  if (env.DATABASE_URL) await migrate(db, (await templateKey()).migrations)
  return db
}
