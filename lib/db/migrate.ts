import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import type { Database } from './database.js'

export interface Migration {
  version: number
  name: string
  sql: string
  checksum: string
}

export interface MigrationReport {
  applied: Migration[]
  /** Versions recorded in the database that this build has no file for (a newer build ran here). */
  unknown: number[]
}

const FILE = /^(\d+)\.do\.([\w-]+)\.sql$/
// Any constant works: every instance must use the same one so that they wait for each other.
const LOCK_KEY = 7_243_115_000_001

/** Reads `NNN.do.name.sql` files, in version order. Other files (README, undo scripts) are ignored. */
export async function loadMigrations (dir: string): Promise<Migration[]> {
  const migrations: Migration[] = []
  for (const file of await readdir(dir)) {
    const match = FILE.exec(file)
    if (!match) continue
    const sql = await readFile(path.join(dir, file), 'utf8')
    const version = Number(match[1])
    if (migrations.some((m) => m.version === version)) {
      throw new Error(`Two migrations have version ${version} in ${dir}`)
    }
    migrations.push({ version, name: match[2]!, sql, checksum: createHash('sha256').update(sql).digest('hex') })
  }
  return migrations.sort((a, b) => a.version - b.version)
}

/**
 * Applies the migrations the database has not seen, all in one transaction, under an advisory lock: instances
 * that start together wait for one another and each migration runs exactly once. A migration file edited after
 * it was applied stops the start-up rather than leaving databases that differ.
 */
export async function migrate (db: Database, migrations: Migration[]): Promise<MigrationReport> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY])
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`)
    const { rows } = await tx.query<{ version: number, name: string, checksum: string }>(
      'SELECT version, name, checksum FROM schema_migrations ORDER BY version'
    )
    const done = new Map(rows.map((row) => [row.version, row]))
    const applied: Migration[] = []
    for (const migration of migrations) {
      const previous = done.get(migration.version)
      if (previous) {
        if (previous.checksum !== migration.checksum) {
          throw new Error(`Migration ${migration.version} (${previous.name}) was changed after it was applied`)
        }
        continue
      }
      await tx.exec(migration.sql)
      await tx.query(
        'INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)',
        [migration.version, migration.name, migration.checksum]
      )
      applied.push(migration)
    }
    const known = new Set(migrations.map((m) => m.version))
    return { applied, unknown: rows.map((row) => row.version).filter((version) => !known.has(version)) }
  })
}
