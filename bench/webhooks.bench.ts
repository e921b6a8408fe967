// Webhook delivery through the outbox: BENCH_EVENTS events (default 10 000) happen at BENCH_RATE a second (default
// 200, sixty times Exotel's most calls a second), each written to the outbox in its own transaction as the app does,
// and sent by the sender, ticked once a second as the dispatcher's upkeep does, to a local receiver. Measured: each
// event's delay from its write to its arrival (p50, p99; the tick's wait is most of it), against the same events
// POSTed straight to the receiver as they happen, in the same run. PGlite on disk, as `npm start` runs it;
// BENCH_DATABASE_URL runs it on that PostgreSQL server.
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { openDatabase } from '../lib/db/database.js'
import { loadMigrations, migrate } from '../lib/db/migrate.js'
import { projectRoot } from '../lib/server/project-root.js'
import { WebhookSender } from '../lib/webhooks/deliver.js'
import { enqueue, newSecret } from '../lib/webhooks/webhooks.js'
import { freshDatabase } from './fresh-database.js'

const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000)
const RATE = Number(process.env.BENCH_RATE ?? 200)

/** A receiver that answers 204 and notes when each event (by its `n`) arrived. */
const arrived = new Map<number, number>()
const receiver = createServer((request, response) => {
  let body = ''
  request.on('data', (chunk) => { body += chunk })
  request.on('end', () => {
    arrived.set(JSON.parse(body).data.n, performance.now())
    response.statusCode = 204
    response.end()
  })
}).listen(0, '127.0.0.1')
await once(receiver, 'listening')
const url = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hooks`

const percentile = (values: number[], p: number) => values.sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]!

/** Makes the events at RATE a second, calling `happen(n)` for each; answers when each happened. */
async function happening (happen: (n: number) => Promise<void>): Promise<number[]> {
  const at: number[] = []
  const start = performance.now()
  for (let n = 0; n < EVENTS; n++) {
    const due = start + n * 1000 / RATE
    const wait = due - performance.now()
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait))
    at[n] = performance.now()
    await happen(n)
  }
  return at
}

async function delays (at: number[]) {
  while (arrived.size < EVENTS) await new Promise((resolve) => setTimeout(resolve, 20))
  const result = at.map((time, n) => arrived.get(n)! - time)
  arrived.clear()
  return result
}

const dir = await mkdtemp(path.join(tmpdir(), 'vcm-webhooks-bench-'))
const server = process.env.BENCH_DATABASE_URL ? await freshDatabase(process.env.BENCH_DATABASE_URL) : undefined
const db = await openDatabase(server ? { url: server.url, dataDir: 'unused' } : { dataDir: path.join(dir, 'pglite') })
try {
  await migrate(db, await loadMigrations(path.join(projectRoot, 'migrations')))
  await db.query("INSERT INTO webhook (url, events, secret, created_by) VALUES ($1, '{upload.completed}', $2, 'bench')", [url, newSecret()])

  // The baseline: each event POSTed to the receiver as it happens, nothing kept.
  const direct = await delays(await happening(async (n) => {
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ data: { n } }) }).then((r) => r.body?.cancel(), () => {})
  }))

  // Through the outbox: written in a transaction, sent by the sender's rounds, ticked once a second.
  const sender = new WebhookSender(db, { timeoutMs: 10_000, perEndpoint: 4, batch: 50, allowPrivate: true }, (error) => console.error(error))
  const ticks = setInterval(() => sender.tick(new Date()), 1000)
  const started = performance.now()
  const outbox = await delays(await happening(async (n) => {
    await db.transaction(async (tx) => { await enqueue(tx, 'upload.completed', { n }, new Date()) })
  }))
  const seconds = (performance.now() - started) / 1000
  clearInterval(ticks)
  await sender.idle()

  console.log(`\nwebhooks: ${EVENTS} events at ${RATE}/s to one local endpoint (at most 4 deliveries at once), ${server ? 'PostgreSQL' : 'PGlite'}`)
  console.log('path'.padEnd(10), 'p50 ms'.padStart(8), 'p99 ms'.padStart(8), 'max ms'.padStart(8), 'p99 vs direct'.padStart(14))
  const p99direct = percentile(direct, 0.99)
  for (const [name, values] of [['direct', direct], ['outbox', outbox]] as const) {
    console.log(name.padEnd(10), percentile(values, 0.5).toFixed(1).padStart(8), percentile(values, 0.99).toFixed(1).padStart(8),
      Math.max(...values).toFixed(1).padStart(8), `${(percentile(values, 0.99) / p99direct).toFixed(1)}x`.padStart(14))
  }
  console.log(`outbox: ${(EVENTS / seconds).toFixed(0)} events/s delivered end to end, each signed and its attempt recorded`)
} finally {
  receiver.close()
  await db.close()
  await server?.drop()
  await rm(dir, { recursive: true, force: true })
}
