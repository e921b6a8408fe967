// The dispatcher's every-round queries on a busy database (PGlite, in this process: each millisecond here is a
// millisecond the server's event loop is held): 10 000 calls waiting, in one batch or spread over 20, beside
// 50 000 finished calls of history. Measured against the plainest claim, the first due call in due order (FIFO,
// no fair share), in the same run. The SQL is lib/dispatch/claim.ts's own.
import path from 'node:path'
import { startNow } from '../lib/campaigns/campaigns.js'
import { bulkCallRules } from '../lib/campaigns/rules.js'
import { windowOf } from '../lib/calling-rules/calling-window.js'
import { COUNTS_SQL, DUE_SQL } from '../lib/dispatch/claim.js'
import { openDatabase, type Database } from '../lib/db/database.js'
import { loadMigrations, migrate } from '../lib/db/migrate.js'

const WAITING = 10_000
const HISTORY = 50_000
const ROUNDS = 50

const stats = COUNTS_SQL
const claim = `${DUE_SQL} SELECT id FROM due ORDER BY turn, not_before, created_at LIMIT $1`
const fifo = "SELECT id FROM call WHERE status = 'queued' AND claimed_at IS NULL AND not_before <= now() ORDER BY not_before, created_at LIMIT $1"

async function database (batches: number): Promise<Database> {
  const db = await openDatabase({ dataDir: 'memory://' })
  await migrate(db, await loadMigrations(path.join(import.meta.dirname, '..', 'migrations')))
  await db.query(`INSERT INTO call (customer_id, phone, status, triggered_by, claimed_at, dialled_at, created_at)
    SELECT 'H' || n, '+910000000000', 'completed', 'x', now() - interval '2 days', now() - interval '2 days', now() - interval '2 days'
    FROM generate_series(1, $1) n`, [HISTORY])
  await db.query(`INSERT INTO customer (id, name, phone) SELECT 'B' || n, 'C', '+9190' || lpad(n::text, 8, '0')
    FROM generate_series(1, $1) n`, [WAITING])
  const per = WAITING / batches
  for (let b = 0; b < batches; b++) {
    const ids = Array.from({ length: per }, (_, i) => `B${b * per + i + 1}`)
    await startNow(db, 'bench', {
      name: `bench ${b}`,
      selection: { customer_ids: ids },
      schedule: { window: windowOf('00:00-24:00', 'mon-sun', 'UTC') },
      rules: bulkCallRules({ retry: { retries: 0, delayMs: 0 } })
    }, {})
  }
  await db.exec('ANALYZE')
  return db
}

async function timed (db: Database, sql: string, params: unknown[]): Promise<number> {
  for (let i = 0; i < 5; i++) await db.query(sql, params) // warm
  const start = performance.now()
  for (let i = 0; i < ROUNDS; i++) await db.query(sql, params)
  return (performance.now() - start) / ROUNDS
}

console.log(`\nThe dispatcher's round: ${WAITING.toLocaleString('en')} calls waiting, ${HISTORY.toLocaleString('en')} of history, PGlite (ms per query, mean of ${ROUNDS})`)
console.log(['measure'.padEnd(44), 'value'.padStart(8), 'FIFO claim'.padStart(11), 'ratio'.padStart(7)].join(' '))
for (const batches of [1, 20]) {
  const db = await database(batches)
  try {
    const base = await timed(db, fifo, [50])
    for (const [name, sql, params] of [['counts (in flight, last minute)', stats, []], ['fair-share claim of 50', claim, [50, new Date()]]] as const) {
      const ms = await timed(db, sql, [...params])
      console.log([`${name}, ${batches} batch${batches > 1 ? 'es' : ''}`.padEnd(44), ms.toFixed(2).padStart(8),
        base.toFixed(2).padStart(11), `${(ms / base).toFixed(1)}x`.padStart(7)].join(' '))
    }
  } finally {
    await db.close()
  }
}
