import { PGlite, type Transaction } from '@electric-sql/pglite'
import { privateDir } from '../private-dir.js'
import type { Database, Queryable } from './database.js'

const MEMORY = 'memory://'

function wrap (client: PGlite | Transaction): Queryable {
  return {
    async query (sql, params) {
      const result = await client.query<never>(sql, params)
      return { rows: result.rows, rowCount: result.rowCount ?? result.rows.length }
    },
    async exec (sql) {
      await client.exec(sql)
    }
  }
}

/** The embedded engine: PostgreSQL compiled to WASM, one connection, files in `dataDir`. */
export async function openPglite (dataDir: string): Promise<Database> {
  if (!dataDir.startsWith(MEMORY)) await privateDir(dataDir)
  const pglite = await PGlite.create(dataDir)
  return {
    engine: 'pglite',
    ...wrap(pglite),
    transaction: (work) => pglite.transaction((tx) => work(wrap(tx))),
    listen: async (channel, onMessage) => {
      const unlisten = await pglite.listen(channel, onMessage)
      return async () => { if (!pglite.closed) await unlisten() }
    },
    close: async () => {
      if (!pglite.closed) await pglite.close()
    }
  }
}
