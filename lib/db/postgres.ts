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

/** A real PostgreSQL server through a connection pool: the engine for running many instances. */
export async function openPostgres (url: string, onIdleError: (error: Error) => void): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, types })
  // An idle client that loses its connection emits here; without a listener that would crash the process.
  pool.on('error', onIdleError)
  const client = await pool.connect() // fail now, not on the first request, when the server is unreachable
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
    close: async () => {
      if (!pool.ended) await pool.end()
    }
  }
}
