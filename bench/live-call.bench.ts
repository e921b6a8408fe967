// Live calls through the media WebSocket: N callers (as Exotel: connected, start, then 100 ms frames of 16 kHz
// audio in real time) talk to the app's echo assistant, and the time from each caller frame sent to its echo
// received is measured; the same callers then talk to a bare `ws` echo server (JSON in, JSON out, nothing else),
// measured in the same run as the baseline. Each server runs in its own process, whose CPU time is reported per
// call. BENCH_CALLS lists the N to try (default 50,200,500); BENCH_SECONDS how long each runs (default 10).
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import WebSocket from 'ws'

const COUNTS = (process.env.BENCH_CALLS ?? '50,200,500').split(',').map(Number)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const FRAME_BYTES = 3200 // 100 ms at 16 kHz, 16-bit: one frame in, one frame out

interface Ready { wsUrl?: string, sids?: string[], media?: string }

async function startServer (args: string[]) {
  const child = fork(new URL('./live-call-server.ts', import.meta.url).pathname, args, {
    execArgv: ['--import', 'tsx'], env: { ...process.env, FASTIFY_AUTOLOAD_TYPESCRIPT: '1' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc']
  })
  const [ready] = await once(child, 'message') as [Ready]
  return { child, ready }
}

async function cpuOf (child: ChildProcess): Promise<number> {
  child.send({ cmd: 'cpu' })
  const [{ cpu }] = await once(child, 'message') as [{ cpu: NodeJS.CpuUsage }]
  return (cpu.user + cpu.system) / 1000
}

/** One caller: streams frames in real time for `ms`, each carrying its number; records each echo's delay. */
async function caller (url: string, sid: string, ms: number, latencies: number[], warmUpMs: number) {
  const socket = new WebSocket(url)
  await once(socket, 'open')
  const sent = new Map<number, number>()
  socket.on('message', (data) => {
    const message = JSON.parse(String(data))
    if (message.event !== 'media') return
    const seq = Buffer.from(message.media.payload, 'base64').readUInt32LE(0)
    const at = sent.get(seq)
    if (at !== undefined && seq * 100 >= warmUpMs) latencies.push(performance.now() - at)
    sent.delete(seq)
  })
  const streamSid = sid.padEnd(32, '0')
  socket.send(JSON.stringify({ event: 'connected' }))
  socket.send(JSON.stringify({
    event: 'start',
    stream_sid: streamSid,
    start: { stream_sid: streamSid, call_sid: sid, custom_parameters: {}, media_format: { encoding: 'audio/x-raw', sample_rate: '16000', bit_rate: '16' } }
  }))
  const frame = Buffer.alloc(FRAME_BYTES)
  const started = performance.now()
  for (let seq = 0; seq * 100 < ms; seq++) {
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
  const cpuBefore = await cpuOf(server.child)
  const wall = performance.now()
  // Callers start spread over the first 100 ms, as calls do not all begin on the same millisecond.
  await Promise.all(targets.map(({ url, sid }, i) => new Promise((resolve) => setTimeout(resolve, (i * 100) / targets.length))
    .then(() => caller(url, sid, SECONDS * 1000, latencies, 1000))))
  const seconds = (performance.now() - wall) / 1000
  const cpuMs = await cpuOf(server.child) - cpuBefore
  const expected = n * (SECONDS * 10 - 10)
  return { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), cpuPerCall: cpuMs / seconds / n, echoes: latencies.length, expected }
}

console.log(`\nlive calls: caller frame in -> echoed frame out (${SECONDS} s of 100 ms frames at 16 kHz per call; first second not counted)`)
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
  app.child.send({ cmd: 'exit' })
  for (const [name, result] of [['ws', baseline], ['app', measured]] as const) {
    console.log(String(n).padStart(6), name.padEnd(8), result.p50.toFixed(1).padStart(8), result.p99.toFixed(1).padStart(8),
      result.cpuPerCall.toFixed(2).padStart(14), `${result.echoes}/${result.expected}`.padStart(9),
      `${(result.p99 / baseline.p99).toFixed(2)}x`.padStart(10), `${(result.cpuPerCall / baseline.cpuPerCall).toFixed(2)}x`.padStart(10))
  }
}
