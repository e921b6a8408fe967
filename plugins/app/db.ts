import path from 'node:path'
import fp from 'fastify-plugin'
import { openDatabase, type Database } from '../../lib/db/database.js'
import { loadMigrations, migrate } from '../../lib/db/migrate.js'
import { projectRoot } from '../../lib/server/project-root.js'

declare module 'fastify' {
  interface FastifyInstance {
    db: Database
  }
}

export interface DbPluginOptions {
  /** Where the migration files are. Default: the project's migrations/ folder. */
  migrationsDir?: string
  /** The embedded database's first contents when it is new (see DatabaseOptions.startFrom). */
  startFrom?: Blob
}

/**
 * The `db` decorator: PostgreSQL on the server named by DATABASE_URL, or the embedded PGlite in DATA_DIR.
 * Pending migrations run before the server accepts requests; the database closes after the last request.
 */
export default fp<DbPluginOptions>(async function database (fastify, opts) {
  const { DATABASE_URL, DATA_DIR, DATABASE_TIMEOUT_SECONDS } = fastify.config
  const db = await openDatabase({
    url: DATABASE_URL,
    dataDir: DATA_DIR,
    startFrom: opts.startFrom,
    timeoutMs: DATABASE_TIMEOUT_SECONDS * 1000,
    onIdleError: (error) => fastify.log.warn({ err: error }, 'database connection lost; the pool will reconnect')
  })
  let report
  try {
    report = await migrate(db, await loadMigrations(opts.migrationsDir ?? path.join(projectRoot, 'migrations')))
  } catch (error) {
    await db.close()
    throw error
  }
  fastify.addHook('onClose', () => db.close())
  for (const migration of report.applied) {
    fastify.log.info({ version: migration.version, name: migration.name }, 'migration applied')
  }
  if (report.unknown.length > 0) {
    fastify.log.warn({ versions: report.unknown }, 'the database has migrations this build does not know')
  }
  fastify.decorate('db', db)
  fastify.log.info({ engine: db.engine }, 'database ready')
}, { name: 'db', dependencies: ['env'] })
