// Exporting a campaign's results (what GET /api/campaigns/:id/export sends: a row a customer, read by key a page at
// a time, explained in words and streamed as CSV) against reading the same rows from the database alone (the same
// pages, nothing done with them), in the same run, at 10 000 and 100 000 customers. RSS growth is sampled during
// each: the export's should not grow with the size. PGlite on disk, as `npm start` runs it.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { resultsTable } from '../lib/exports/results.js'
import { csvStream } from '../lib/exports/write.js'
import { openDatabase } from '../lib/db/database.js'
import { loadMigrations, migrate } from '../lib/db/migrate.js'
import { projectRoot } from '../lib/server/project-root.js'

const SIZES = (process.env.BENCH_ROWS ?? '10000,100000').split(',').map(Number)

/** Runs `work`, sampling RSS every 5 ms; answers its time, the RSS before and the highest seen. */
async function measured (work: () => Promise<number>) {
  const before = process.memoryUsage.rss()
  let peak = before
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()) }, 5)
  const start = performance.now()
  const bytes = await work()
  const ms = performance.now() - start
  clearInterval(timer)
  return { bytes, ms, growMb: (Math.max(peak, process.memoryUsage.rss()) - before) / 1024 / 1024 }
}

const nowhere = () => { let bytes = 0; return { sink: new Writable({ write (chunk, _e, done) { bytes += chunk.length; done() } }), bytes: () => bytes } }

const dir = await mkdtemp(path.join(tmpdir(), 'vcm-export-bench-'))
const db = await openDatabase({ dataDir: path.join(dir, 'pglite') })
await migrate(db, await loadMigrations(path.join(projectRoot, 'migrations')))
const lines: string[] = []
try {
  let made = 0
  for (const size of SIZES) {
    const { rows: [campaign] } = await db.query<{ id: string }>(
      `INSERT INTO campaign (name, created_by, rules, calling_window) VALUES ('Bench ${size}', 'bench',
        '{"retry": {"on": ["busy"], "retries": 0, "delay_seconds": 60}, "follow_up": {"delay_seconds": 60, "max": 0}, "skip_final_within_days": 0}',
        '{"timezone": "Asia/Kolkata", "days": ["mon"], "hours": ["00:00-24:00"]}') RETURNING id`)
    await db.query(`INSERT INTO customer (id, name, phone, attributes)
      SELECT 'B${size}-' || n, 'Customer ' || n, '+9198' || lpad(n::text, 8, '0'), jsonb_build_object('amount_due', n * 37 % 100000, 'city', 'Bengaluru')
      FROM generate_series(1, $1) AS n`, [size])
    await db.query(`INSERT INTO call (customer_id, customer_name, phone, batch_id, status, triggered_by, dialled_at, answered_at, ended_at, duration_seconds)
      SELECT 'B${size}-' || n, 'Customer ' || n, '+9198' || lpad(n::text, 8, '0'), $2, CASE WHEN n % 3 = 0 THEN 'busy' ELSE 'completed' END,
        'bench', now(), CASE WHEN n % 3 = 0 THEN NULL ELSE now() END, now(), n % 120
      FROM generate_series(1, $1) AS n`, [size, campaign!.id])
    made += size

    const bare = await measured(async () => {
      let after = ''
      let read = 0
      for (;;) {
        const { rows } = await db.query<{ customer_id: string }>(
          `WITH page AS (SELECT DISTINCT customer_id FROM call WHERE batch_id = $1 AND customer_id > $2 ORDER BY customer_id LIMIT 500)
           SELECT DISTINCT ON (call.customer_id) call.*, customer.attributes FROM call LEFT JOIN customer ON customer.id = call.customer_id
           WHERE call.batch_id = $1 AND call.customer_id IN (SELECT customer_id FROM page) ORDER BY call.customer_id, call.created_at DESC`,
          [campaign!.id, after])
        if (rows.length === 0) return read
        read += rows.length
        after = rows.at(-1)!.customer_id
      }
    })
    const exported = await measured(async () => {
      const out = nowhere()
      const table = await resultsTable(db, { batchId: campaign!.id }, 'customer', 'Asia/Kolkata')
      await pipeline(csvStream(table, console), out.sink)
      return out.bytes()
    })
    lines.push([
      String(size).padStart(8),
      `${Math.round(size / (exported.ms / 1000))}`.padStart(12),
      `${Math.round(size / (bare.ms / 1000))}`.padStart(14),
      (bare.ms / exported.ms).toFixed(2).padStart(7),
      `${exported.growMb.toFixed(0)}`.padStart(10),
      `${bare.growMb.toFixed(0)}`.padStart(9),
      `${(exported.bytes / 1024 / 1024).toFixed(1)}`.padStart(8)
    ].join(' '))
  }
  console.log(`export of a campaign's customers as CSV against reading its rows alone (PGlite on disk, ${made} calls stored)`)
  console.log(['    rows', 'export rows/s', 'read alone rows/s', ' ratio', 'export +MB', 'read +MB', 'file MB'].join(' '))
  for (const line of lines) console.log(line)
} finally {
  await db.close()
  await rm(dir, { recursive: true, force: true })
}
