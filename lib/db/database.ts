/**
 * The one database interface the server uses. PostgreSQL is the only SQL dialect: the same statements run on
 * the embedded PGlite engine and on a real PostgreSQL server.
 */
export interface QueryResult<Row> {
  rows: Row[]
  rowCount: number
}

export interface Queryable {
  /** One statement, with `$1`-style parameters. */
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<Row>>
  /** Several statements separated by semicolons, without parameters (migrations, set-up scripts). */
  exec(sql: string): Promise<void>
}

export interface Database extends Queryable {
  readonly engine: 'pglite' | 'postgres'
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>
  /**
   * Hears every NOTIFY on `channel` (`pg_notify` in any session, delivered when its transaction commits), until
   * the returned function is called.
   */
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>
  close(): Promise<void>
}

export interface DatabaseOptions {
  /** A `postgres://` URL: use that server. Unset: the embedded engine. */
  url?: string
  /** Folder of the embedded engine's files, or `memory://`. */
  dataDir: string
  /** Told when an idle pooled connection to the server fails (the pool replaces it). */
  onIdleError?: (error: Error) => void
  /**
   * The embedded engine's first contents when its folder is new: an archive of a database (PGlite's
   * `dumpDataDir`). The tests start every app from one migrated database made once per run.
   */
  startFrom?: Blob
  /** A server's longest wait to connect, and longest statement, in ms (default 30 s). */
  timeoutMs?: number
}

export async function openDatabase (options: DatabaseOptions): Promise<Database> {
  if (options.url) {
    const { openPostgres } = await import('./postgres.js')
    return openPostgres(options.url, options.onIdleError ?? (() => {}), options.timeoutMs)
  }
  const { openPglite } = await import('./pglite.js')
  return await openPglite(options.dataDir, options.startFrom)
}
