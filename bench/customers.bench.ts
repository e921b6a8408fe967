// Importing a customer CSV through POST /api/upload-customers (HTTP, multipart, streamed to disk, parsed, phones
// normalised, upserted in one transaction) against parsing the same file with fast-csv alone, in the same run,
// at 10 000 and 100 000 rows, each twice: the first import after the server starts, then another. Peak RSS is
// sampled during each import. PGlite; with BENCH_DATABASE_URL, also a new database on that PostgreSQL server.
import { createReadStream, openAsBlob } from 'node:fs'
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { finished } from 'node:stream/promises'
import { parse } from 'fast-csv'
import { startBenchApp } from './bench-app.js'
import { freshDatabase } from './fresh-database.js'

const SIZES = (process.env.BENCH_ROWS ?? '10000,100000').split(',').map(Number)

function customerCsv (rows: number, prefix: string): string {
  const lines = ['customer_id,name,phone,email,language,amount_due,due_date,city']
  for (let i = 0; i < rows; i++) {
    lines.push(`${prefix}${i},Customer Number ${i},98${String(i).padStart(8, '0')},customer${i}@example.com,hi,` +
      `${(i * 37) % 100000}.50,2026-12-${String(i % 28 + 1).padStart(2, '0')},Bengaluru`)
  }
  return lines.join('\n') + '\n'
}

async function bareParse (file: string): Promise<number> {
  let rows = 0
  const parser = createReadStream(file).pipe(parse()).on('data', () => { rows++ })
  await finished(parser)
  return rows
}

/** Runs `work`, sampling RSS every 5 ms; answers its time, the RSS before and the highest seen. */
async function measured<T> (work: () => Promise<T>) {
  const before = process.memoryUsage.rss()
  let peak = before
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()) }, 5)
  const start = performance.now()
  const result = await work()
  const ms = performance.now() - start
  clearInterval(timer)
  return { result, ms, beforeMb: before / 1024 / 1024, peakMb: Math.max(peak, process.memoryUsage.rss()) / 1024 / 1024 }
}

const dir = await mkdtemp(path.join(tmpdir(), 'vcm-bench-'))
// PGlite on disk, as `npm start` runs it: in memory, the stored rows themselves would swell the RSS.
const engines: Array<[string, Record<string, string>]> = [['PGlite', { DATA_DIR: path.join(dir, 'pglite') }]]
const database = process.env.BENCH_DATABASE_URL ? await freshDatabase(process.env.BENCH_DATABASE_URL) : undefined
if (database) engines.push(['PostgreSQL', { DATABASE_URL: database.url }])
const table: string[] = []
try {
  for (const [engine, env] of engines) {
    const { server, url, authorization } = await startBenchApp({
      UPLOAD_MAX_BYTES: String(1 << 30), UPLOAD_MAX_ROWS: '10000000', ...env
    })
    try {
      for (const [rows, run] of SIZES.flatMap((rows) => [[rows, 'first'], [rows, 'again']] as const)) {
        const file = path.join(dir, `customers-${rows}-${run}.csv`)
        await writeFile(file, customerCsv(rows, `${engine}-${rows}-${run}-`))
        const megabytes = (await stat(file)).size / 1024 / 1024
        const parsed = await measured(() => bareParse(file))
        const imported = await measured(async () => {
          const body = new FormData()
          body.set('file', await openAsBlob(file), 'customers.csv')
          const response = await fetch(`${url}/api/upload-customers`, { method: 'POST', body, headers: { authorization } })
          const report = await response.json() as { inserted: number, success: boolean, message?: string }
          if (!report.success || report.inserted !== rows) throw new Error(`import failed: ${JSON.stringify(report)}`)
          return report
        })
        const rate = (ms: number) => Math.round(rows / (ms / 1000)).toLocaleString('en')
        table.push([
          `${engine}, ${rows.toLocaleString('en')} rows (${megabytes.toFixed(1)} MB), ${run}`.padEnd(44),
          `${rate(parsed.ms)}`.padStart(12),
          `${rate(imported.ms)}`.padStart(12),
          `${(parsed.ms / imported.ms).toFixed(2)}x`.padStart(8),
          `${imported.beforeMb.toFixed(0)} -> ${imported.peakMb.toFixed(0)}`.padStart(14)
        ].join(' '))
      }
    } finally {
      await server.close()
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true })
  await database?.drop()
}
console.log('\nCustomer import over HTTP vs fast-csv parsing the same file (rows/s), same process')
console.log(['case'.padEnd(44), 'parse r/s'.padStart(12), 'import r/s'.padStart(12), 'ratio'.padStart(8),
  'RSS MB -> peak'.padStart(14)].join(' '))
for (const line of table) console.log(line)
