// The priority lane, on the Exotel simulator: how long an operator's single call waits (POST /api/trigger-single-call
// until Exotel has accepted it) while a 10 000-call batch keeps every batch line busy, against the same single
// calls on the same server with no batch running; and how long a 10-call batch started behind the big one waits
// for its first dial, against the same small batch alone. Calls last about 9 s, so MAX_CONCURRENT_CALLS binds.
import { startBenchApp } from './bench-app.js'

const CUSTOMERS = 10_000
const SINGLES = Number(process.env.BENCH_SINGLES ?? 20)
const CAP = 10

async function startServer () {
  const { server, authorization } = await startBenchApp({
    CALLS_PER_MINUTE: '200',
    MAX_CONCURRENT_CALLS: String(CAP),
    PRIORITY_LINES: '1',
    ASSISTANT: 'echo', // stays on until the caller hangs up: every call lasts the simulator's talk time
    EXOTEL_SIMULATOR_RING_MS: '1000',
    EXOTEL_SIMULATOR_TALK_MS: '8000'
  })
  await server.db.query(`INSERT INTO customer (id, name, phone)
    SELECT 'B' || n, 'Customer ' || n, '+9190' || lpad(n::text, 8, '0') FROM generate_series(1, $1) n`, [CUSTOMERS])
  await server.db.query(`INSERT INTO customer (id, name, phone)
    SELECT 'S' || n, 'Single ' || n, '+9180' || lpad(n::text, 8, '0') FROM generate_series(1, $1) n`, [SINGLES + 10])
  const post = (url: string, payload: object) => server.inject({ method: 'POST', url, payload, headers: { authorization } })
  return { server, post }
}

type Server = Awaited<ReturnType<typeof startServer>>

/** Each single call's wait (ms), one after another, a second apart. */
async function singleWaits ({ post }: Server): Promise<number[]> {
  const waits: number[] = []
  for (let i = 1; i <= SINGLES; i++) {
    const start = performance.now()
    const answer = await post('/api/trigger-single-call', { customer_id: `S${i}` })
    waits.push(performance.now() - start)
    if (answer.statusCode !== 200) throw new Error(`single call: ${answer.body}`)
    await new Promise((resolve) => setTimeout(resolve, 1000))
  }
  return waits.sort((a, b) => a - b)
}

/** Queues a 10-call batch and answers how long until its first call was dialled (ms). */
async function smallBatchWait ({ server, post }: Server): Promise<number> {
  const ids = Array.from({ length: 10 }, (_, i) => `S${SINGLES + i + 1}`)
  const start = Date.now()
  const queued = await post('/api/trigger-bulk-calls', { customer_ids: ids })
  const batchId = queued.json().batch_id as string
  for (;;) {
    const { rows } = await server.db.query<{ first: Date | null }>('SELECT min(claimed_at) AS first FROM call WHERE batch_id = $1', [batchId])
    if (rows[0]!.first) return rows[0]!.first.getTime() - start
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

const batchInFlight = async ({ server }: Server) => (await server.db.query<{ n: number }>(
  `SELECT count(*)::int AS n FROM call WHERE batch_id IS NOT NULL
   AND (status IN ('initiated', 'ringing', 'in-progress') OR (status = 'queued' AND claimed_at IS NOT NULL))`
)).rows[0]!.n

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!

const alone = await startServer()
let aloneWaits: number[]
let aloneSmall: number
try {
  aloneWaits = await singleWaits(alone)
  aloneSmall = await smallBatchWait(alone)
} finally {
  await alone.server.close()
}

const busy = await startServer()
let busyWaits: number[]
let busySmall: number
let saturated = 0
try {
  const queued = await busy.post('/api/trigger-bulk-calls', { filter: { search: 'Customer' } })
  if (queued.json().queued !== CUSTOMERS) throw new Error(`queued ${queued.body}`)
  while (await batchInFlight(busy) < CAP - 1) await new Promise((resolve) => setTimeout(resolve, 50))
  busyWaits = await singleWaits(busy)
  saturated = await batchInFlight(busy)
  busySmall = await smallBatchWait(busy)
} finally {
  await busy.server.close()
}

console.log(`\nThe priority lane: single calls while a ${CUSTOMERS.toLocaleString('en')}-call batch holds ${CAP - 1} of ${CAP} lines (PGlite, simulator)`)
console.log(['measure'.padEnd(52), 'batch running'.padStart(14), 'no batch'.padStart(10), 'ratio'.padStart(7)].join(' '))
const row = (measure: string, withBatch: number, without: number) => console.log(
  [measure.padEnd(52), withBatch.toFixed(1).padStart(14), without.toFixed(1).padStart(10), `${(withBatch / without).toFixed(2)}x`.padStart(7)].join(' '))
row(`single call wait, p50 of ${SINGLES} (ms)`, percentile(busyWaits, 0.5), percentile(aloneWaits, 0.5))
row(`single call wait, p95 of ${SINGLES} (ms)`, percentile(busyWaits, 0.95), percentile(aloneWaits, 0.95))
row('single call wait, max (ms)', busyWaits.at(-1)!, aloneWaits.at(-1)!)
row('a 10-call batch queued behind it: first dial (ms)', busySmall, aloneSmall)
console.log(`batch calls in flight: ${CAP - 1} of ${CAP} lines before the single calls, ${saturated} after (the single calls in flight took the others)`)
