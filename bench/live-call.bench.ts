// Live calls through the media WebSocket: N callers (as Exotel: connected, start, then 100 ms frames of 16 kHz
// audio in real time) join over BENCH_RAMP_MS (default 5 s) and talk to the app's echo assistant; once all are
// streaming, the time from each caller frame sent to its echo received is measured; the same callers then talk to a bare `ws` echo server (JSON in, JSON out, nothing else),
// measured in the same run as the baseline. Each server runs in its own process, whose CPU time is reported per
// call. BENCH_CALLS lists the N to try (default 50,200,500); BENCH_SECONDS how long each runs (default 10);
// BENCH_DATABASE_URL runs the app on a throwaway database of that PostgreSQL server instead of PGlite.
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import WebSocket from 'ws'

const COUNTS = (process.env.BENCH_CALLS ?? '50,200,500').split(',').map(Number)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const FRAME_BYTES = 3200 // 100 ms at 16 kHz, 16-bit: one frame in, one frame out
const RAMP_MS = Number(process.env.BENCH_RAMP_MS ?? 5000)

interface Ready { wsUrl?: string, sids?: string[], media?: string }

async function startServer (args: string[]) {
  const child = fork(new URL('./live-call-server.ts', import.meta.url).pathname, args, {
    execArgv: ['--import', 'tsx', ...(process.env.BENCH_PROFILE && args[0] === 'app' ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : [])], env: { ...process.env, FASTIFY_AUTOLOAD_TYPESCRIPT: '1' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc']
  })
  const [ready] = await once(child, 'message') as [Ready]
  return { child, ready }
}

async function cpuOf (child: ChildProcess): Promise<number> {
  child.send({ cmd: 'cpu' })
  const [{ cpu, loopP99, loopMax }] = await once(child, 'message') as [{ cpu: NodeJS.CpuUsage, loopP99: number, loopMax: number }]
  if (process.env.BENCH_VERBOSE) console.log(`  server event loop delay since last asked: p99 ${loopP99.toFixed(1)} ms, max ${loopMax.toFixed(1)} ms`)
  return (cpu.user + cpu.system) / 1000
}

/** Measuring starts once every caller is streaming; until then latencies are not counted. */
const window = { from: Infinity, until: Infinity }

/** One caller: streams frames in real time until the window ends, each carrying its number; records echo delays. */
async function caller (url: string, sid: string, latencies: number[], opened: () => void) {
  const socket = new WebSocket(url)
  await once(socket, 'open')
  const sent = new Map<number, number>()
  socket.on('message', (data) => {
    const message = JSON.parse(String(data))
    if (message.event !== 'media') return
    const seq = Buffer.from(message.media.payload, 'base64').readUInt32LE(0)
    const at = sent.get(seq)
    if (at !== undefined && at >= window.from && at < window.until) latencies.push(performance.now() - at)
    sent.delete(seq)
  })
  const streamSid = sid.padEnd(32, '0')
  socket.send(JSON.stringify({ event: 'connected' }))
  socket.send(JSON.stringify({
    event: 'start',
    stream_sid: streamSid,
    start: { stream_sid: streamSid, call_sid: sid, custom_parameters: {}, media_format: { encoding: 'audio/x-raw', sample_rate: '16000', bit_rate: '16' } }
  }))
  opened()
  const frame = Buffer.alloc(FRAME_BYTES)
  const started = performance.now()
  for (let seq = 0; performance.now() < window.until; seq++) {
    frame.writeUInt32LE(seq, 0)
    sent.set(seq, performance.now())
    socket.send(JSON.stringify({ event: 'media', stream_sid: streamSid, media: { chunk: String(seq + 1), timestamp: String(seq * 100), payload: frame.toString('base64') } }))
    const next = started + (seq + 1) * 100
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())))
  }
  await new Promise((resolve) => setTimeout(resolve, 300)) // the last echoes
  socket.close()
  await once(socket, 'close')
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN
}

async function run (n: number, server: { child: ChildProcess }, urls: () => Promise<Array<{ url: string, sid: string }>>) {
  const targets = await urls()
  const latencies: number[] = []
  window.from = Infinity
  window.until = Infinity
  let open = 0
  let allOpen: () => void
  const streaming = new Promise<void>((resolve) => { allOpen = resolve })
  // Calls come in over RAMP_MS (a real campaign adds at most a few a second), then all stream together.
  const callers = targets.map(({ url, sid }, i) => new Promise((resolve) => setTimeout(resolve, (i * RAMP_MS) / targets.length))
    .then(() => caller(url, sid, latencies, () => { if (++open === n) allOpen() })))
  await streaming
  await new Promise((resolve) => setTimeout(resolve, 1000)) // settle: every stream has started and is echoing
  const cpuBefore = await cpuOf(server.child)
  window.from = performance.now()
  window.until = window.from + SECONDS * 1000
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000))
  const cpuMs = await cpuOf(server.child) - cpuBefore
  await Promise.all(callers)
  const expected = n * SECONDS * 10
  return { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), cpuPerCall: cpuMs / SECONDS / n, echoes: latencies.length, expected }
}

console.log(`\nlive calls: caller frame in -> echoed frame out (calls join over ${RAMP_MS} ms, then ${SECONDS} s measured of 100 ms frames at 16 kHz)`)
console.log('calls'.padStart(6), 'server'.padEnd(8), 'p50 ms'.padStart(8), 'p99 ms'.padStart(8), 'CPU ms/s/call'.padStart(14),
  'echoes'.padStart(9), 'p99 vs ws'.padStart(10), 'CPU vs ws'.padStart(10))
for (const n of COUNTS) {
  const bare = await startServer(['ws'])
  const baseline = await run(n, bare, async () => Array.from({ length: n }, (_, i) => ({ url: bare.ready.media!, sid: `s${i}` })))
  bare.child.send({ cmd: 'exit' })
  const app = await startServer(['app', String(n)])
  const measured = await run(n, app, async () => Promise.all(app.ready.sids!.map(async (sid) => {
    const answer = await fetch(`${app.ready.wsUrl!}&CallSid=${sid}`)
    return { url: ((await answer.json()) as { url: string }).url, sid }
  })))
  app.child.send({ cmd: 'drop' }) // closes the app, and drops its database on a PostgreSQL server
  await once(app.child, 'message')
  app.child.send({ cmd: 'exit' })
  for (const [name, result] of [['ws', baseline], ['app', measured]] as const) {
    console.log(String(n).padStart(6), name.padEnd(8), result.p50.toFixed(1).padStart(8), result.p99.toFixed(1).padStart(8),
      result.cpuPerCall.toFixed(2).padStart(14), `${result.echoes}/${result.expected}`.padStart(9),
      `${(result.p99 / baseline.p99).toFixed(2)}x`.padStart(10), `${(result.cpuPerCall / baseline.cpuPerCall).toFixed(2)}x`.padStart(10))
  }
}
