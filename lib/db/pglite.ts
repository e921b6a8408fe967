import { PGlite, type Transaction } from '@electric-sql/pglite'
import { privateDir } from '../server/private-dir.js'
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

/**
 * The embedded engine: PostgreSQL compiled to WASM, one connection, files in `dataDir`. A new database starts as
 * a copy of `startFrom` (an archive from PGlite's `dumpDataDir`) when given, instead of an empty one.
 */
export async function openPglite (dataDir: string, startFrom?: Blob): Promise<Database> {
  if (!dataDir.startsWith(MEMORY)) await privateDir(dataDir)
  return pgliteDatabase(await PGlite.create(dataDir, { loadDataDir: startFrom }))
}

/** An open PGlite instance as the server's Database. */
export function pgliteDatabase (pglite: PGlite): Database {
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
