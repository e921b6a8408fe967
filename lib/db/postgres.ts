import pg from 'pg'
import type { Database, Queryable } from './database.js'

const INT8 = 20

// Counts and ids come back as numbers, as PGlite gives them, rather than pg's default strings.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser
}

function wrap (client: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query (sql, params) {
      const result = await client.query(sql, params)
      return { rows: result.rows, rowCount: result.rowCount ?? result.rows.length }
    },
    async exec (sql) {
      await client.query(sql)
    }
  }
}

/** The server, as error messages name it: host, port and database, never the user or password. */
export function serverName (url: string): string {
  const { hostname, port, pathname } = new URL(url)
  return `${hostname}:${port || 5432}${pathname}`
}

/**
 * A real PostgreSQL server through a connection pool: the engine for running many instances. A server that
 * accepts connections but never answers fails the start (or the statement) after `timeoutMs`, naming it.
 */
export async function openPostgres (url: string, onIdleError: (error: Error) => void, timeoutMs = 30_000): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    types,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs, // waited for here, so that a server gone silent cannot hold a request forever
    statement_timeout: timeoutMs // and cancelled there, so that it does not go on working for nobody
  })
  // An idle client that loses its connection emits here; without a listener that would crash the process.
  pool.on('error', onIdleError)
  // Fail now, not on the first request, when the server is unreachable or silent.
  const client = await pool.connect().catch(async (error: Error) => {
    await pool.end()
    throw new Error(`The database server ${serverName(url)} did not let us connect within ${timeoutMs / 1000} s ` +
      `(${error.message}): check DATABASE_URL and that the server is up`, { cause: error })
  })
  client.release()
  return {
    engine: 'postgres',
    ...wrap(pool),
    async transaction (work) {
      const connection = await pool.connect()
      let broken: Error | undefined
      // A checked-out client that loses its connection emits 'error'; unheard, that would crash the process.
      const onError = (error: Error) => { broken = error }
      connection.on('error', onError)
      const giveBack = () => {
        connection.off('error', onError)
        connection.release(broken) // a connection that failed is discarded, not reused
      }
      try {
        await connection.query('BEGIN')
        const result = await work(wrap(connection))
        await connection.query('COMMIT')
        giveBack()
        return result
      } catch (error) {
        await connection.query('ROLLBACK').catch((rollbackError: Error) => { broken = rollbackError })
        giveBack()
        throw error
      }
    },
    async listen (channel, onMessage) {
      return await listenOn(url, channel, onMessage, onIdleError, timeoutMs)
    },
    close: async () => {
      if (!pool.ended) await pool.end()
    }
  }
}

/**
 * LISTEN needs a session of its own, outside the pool. A lost connection is replaced (after a second, then
 * again until it works); notifications sent while it was gone are lost, as they are to any listener.
 */
async function listenOn (url: string, channel: string, onMessage: (payload: string) => void,
  onError: (error: Error) => void, timeoutMs: number): Promise<() => Promise<void>> {
  let client: pg.Client | undefined
  let closed = false
  let retry: NodeJS.Timeout | undefined
  const reconnect = () => {
    if (closed) return
    retry = setTimeout(() => { connect().catch((error: Error) => { onError(error); reconnect() }) }, 1000)
  }
  const connect = async () => {
    const next = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs })
    next.on('notification', (message) => onMessage(String(message.payload))) // it listens on `channel` alone
    next.on('error', (error) => { // the connection is gone
      onError(error)
      reconnect()
    })
    await next.connect()
    await next.query(`LISTEN "${channel.replace(/"/g, '""')}"`)
    client = next
  }
  await connect()
  return async () => {
    closed = true
    clearTimeout(retry)
    await client?.end()
  }
}
