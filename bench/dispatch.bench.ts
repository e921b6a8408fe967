// Bulk campaigns on the Exotel simulator, in one run: the time to queue a 10 000-call batch through
// POST /api/trigger-bulk-calls against inserting the same 10 000 rows into a bare table (the floor); the dispatch
// rate held against CALLS_PER_MINUTE (short calls, so the rate binds); and the most calls in flight seen against
// MAX_CONCURRENT_CALLS (long calls, so the cap binds).
import { startBenchApp } from './bench-app.js'

const CUSTOMERS = 10_000
const RATE = 200
const CAP = 10
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20)

async function startServer (env: Record<string, string>) {
  const { server, authorization } = await startBenchApp({ CALLS_PER_MINUTE: String(RATE), PRIORITY_LINES: '0', ...env })
  await server.db.query(`INSERT INTO customer (id, name, phone)
    SELECT 'B' || n, 'Customer ' || n, '+9190' || lpad(n::text, 8, '0') FROM generate_series(1, $1) n`, [CUSTOMERS])
  const queue = () => server.inject({
    method: 'POST', url: '/api/trigger-bulk-calls', payload: { filter: {} }, headers: { authorization }
  })
  return { server, queue }
}

const inFlight = async (server: Awaited<ReturnType<typeof startServer>>['server']) => (await server.db.query<{ n: number }>(
  "SELECT count(*) AS n FROM call WHERE status IN ('initiated', 'ringing', 'in-progress') OR (status = 'queued' AND claimed_at IS NOT NULL)"
)).rows[0]!.n

const lines: string[] = []
const line = (measure: string, value: string, against: string, ratio: string) =>
  lines.push([measure.padEnd(46), value.padStart(10), against.padStart(12), ratio.padStart(8)].join(' '))

// Queueing, and the rate: calls last 1.5 s, so 200 a minute keeps about 5 in flight, under a cap of 50.
const rated = await startServer({ MAX_CONCURRENT_CALLS: '50', EXOTEL_SIMULATOR_RING_MS: '500', EXOTEL_SIMULATOR_TALK_MS: '1000' })
try {
  await rated.server.db.exec('CREATE TABLE bench_floor (customer_id text, batch_id uuid, status text)')
  let start = performance.now()
  await rated.server.db.query("INSERT INTO bench_floor SELECT id, gen_random_uuid(), 'queued' FROM customer")
  const floorMs = performance.now() - start
  start = performance.now()
  const queued = await rated.queue()
  const queueMs = performance.now() - start
  if (queued.json().queued !== CUSTOMERS) throw new Error(`queued ${queued.body}`)
  line(`queue ${CUSTOMERS.toLocaleString('en')} calls over HTTP (ms)`, queueMs.toFixed(0), `${floorMs.toFixed(0)} floor`,
    `${(queueMs / floorMs).toFixed(1)}x`)

  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000))
  const { rows } = await rated.server.db.query<{ n: number, span_ms: number }>(
    `SELECT count(*) AS n, extract(epoch FROM max(claimed_at) - min(claimed_at)) * 1000 AS span_ms
     FROM call WHERE claimed_at IS NOT NULL`)
  const perMinute = (rows[0]!.n - 1) / (Number(rows[0]!.span_ms) / 60_000)
  line(`dials a minute over ${SECONDS} s (${rows[0]!.n} dials)`, perMinute.toFixed(0), `${RATE} rate`, (perMinute / RATE).toFixed(2))
} finally {
  await rated.server.close()
}

// The cap: calls last 8 s, so 200 a minute would keep about 27 in flight; the cap is 10.
const capped = await startServer({ MAX_CONCURRENT_CALLS: String(CAP), EXOTEL_SIMULATOR_RING_MS: '1000', EXOTEL_SIMULATOR_TALK_MS: '7000' })
try {
  await capped.queue()
  let most = 0
  const until = Date.now() + SECONDS * 1000
  while (Date.now() < until) {
    most = Math.max(most, await inFlight(capped.server))
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  line(`most calls in flight over ${SECONDS} s`, String(most), `${CAP} cap`, (most / CAP).toFixed(2))
} finally {
  await capped.server.close()
}

console.log(`\nBulk campaigns on the Exotel simulator, ${CUSTOMERS.toLocaleString('en')} customers, PGlite`)
console.log(['measure'.padEnd(46), 'value'.padStart(10), 'against'.padStart(12), 'ratio'.padStart(8)].join(' '))
for (const text of lines) console.log(text)
