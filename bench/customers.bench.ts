// Importing a customer CSV through POST /api/upload-customers (HTTP, multipart, streamed to disk, parsed, phones
// normalised, upserted in one transaction) against parsing the same file with fast-csv alone, in the same run,
// at 10 000 and 100 000 rows, each twice: the first import after the server starts, then another. Peak RSS is
// sampled during each import. PGlite; with BENCH_DATABASE_URL, also a new database on that PostgreSQL server.
// Each engine's server runs in a process of its own, started with the flags `npm start` gives it, as it is deployed
// (in one process, the second engine's imports ran beside what the first left: its heap, its thread's memory); the
// files are written, and flushed to disk, before any server starts, so that no import shares the disk with them.
import { fork } from 'node:child_process'
import { createReadStream, openAsBlob } from 'node:fs'
import { mkdtemp, open, rm, stat } from 'node:fs/promises'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { finished } from 'node:stream/promises'
import { parse } from 'fast-csv'
import { APP_FLAGS } from './app-flags.js'
import { startBenchApp } from './bench-app.js'
import { freshDatabase } from './fresh-database.js'

const SIZES = (process.env.BENCH_ROWS ?? '10000,100000').split(',').map(Number)
const RUNS = ['first', 'again'] as const

function customerCsv (rows: number, prefix: string): string {
  const lines = ['customer_id,name,phone,email,language,amount_due,due_date,city']
  for (let i = 0; i < rows; i++) {
    lines.push(`${prefix}${i},Customer Number ${i},98${String(i).padStart(8, '0')},customer${i}@example.com,hi,` +
      `${(i * 37) % 100000}.50,2026-12-${String(i % 28 + 1).padStart(2, '0')},Bengaluru`)
  }
  return lines.join('\n') + '\n'
}

const fileOf = (dir: string, engine: string, rows: number, run: string) => path.join(dir, `${engine}-${rows}-${run}.csv`)

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

/** One engine's process: its server, and each file parsed alone and then imported; answers the table's lines. */
async function measureEngine (engine: string, dir: string): Promise<string[]> {
  const database = engine === 'PostgreSQL' ? await freshDatabase(process.env.BENCH_DATABASE_URL!) : undefined
  // PGlite on disk, as `npm start` runs it: in memory, the stored rows themselves would swell the RSS.
  const env: Record<string, string> = database ? { DATABASE_URL: database.url } : { DATA_DIR: path.join(dir, 'pglite') }
  const { server, url, authorization } = await startBenchApp({ UPLOAD_MAX_BYTES: String(1 << 30), UPLOAD_MAX_ROWS: '10000000', ...env })
  const lines: string[] = []
  try {
    for (const rows of SIZES) {
      for (const run of RUNS) {
        const file = fileOf(dir, engine, rows, run)
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
        lines.push([
          `${engine}, ${rows.toLocaleString('en')} rows (${megabytes.toFixed(1)} MB), ${run}`.padEnd(44),
          `${rate(parsed.ms)}`.padStart(12),
          `${rate(imported.ms)}`.padStart(12),
          `${(parsed.ms / imported.ms).toFixed(2)}x`.padStart(8),
          `${imported.beforeMb.toFixed(0)} -> ${imported.peakMb.toFixed(0)}`.padStart(14)
        ].join(' '))
      }
    }
  } finally {
    await server.close()
    await database?.drop()
  }
  return lines
}

if (process.env.BENCH_ENGINE) {
  process.send!(await measureEngine(process.env.BENCH_ENGINE, process.env.BENCH_DIR!))
} else {
  const dir = await mkdtemp(path.join(tmpdir(), 'vcm-bench-'))
  const engines = ['PGlite', ...(process.env.BENCH_DATABASE_URL ? ['PostgreSQL'] : [])]
  const table: string[] = []
  try {
    for (const engine of engines) {
      for (const rows of SIZES) {
        for (const run of RUNS) {
          const file = await open(fileOf(dir, engine, rows, run), 'w')
          await file.writeFile(customerCsv(rows, `${engine}-${rows}-${run}-`))
          await file.sync()
          await file.close()
        }
      }
    }
    for (const engine of engines) {
      const child = fork(import.meta.filename, [], {
        execArgv: ['--import', 'tsx', ...APP_FLAGS],
        env: { ...process.env, BENCH_ENGINE: engine, BENCH_DIR: dir, FASTIFY_AUTOLOAD_TYPESCRIPT: '1' },
        stdio: ['ignore', 'ignore', 'inherit', 'ipc']
      })
      let lines: string[] | undefined
      child.on('message', (message: string[]) => { lines = message })
      const [code] = await once(child, 'exit') as [number]
      if (code !== 0 || !lines) throw new Error(`the ${engine} bench exited with ${code}`)
      table.push(...lines)
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
  console.log('\nCustomer import over HTTP vs fast-csv parsing the same file (rows/s), same process')
  console.log(['case'.padEnd(44), 'parse r/s'.padStart(12), 'import r/s'.padStart(12), 'ratio'.padStart(8),
    'RSS MB -> peak'.padStart(14)].join(' '))
  for (const line of table) console.log(line)
}
