// Live callers for the benchmarks: each streams as Exotel does (connected, start, then 100 ms frames of 16 kHz audio
// in real time) to a server started in its own process (live-call-server.ts), and times each frame's echo.
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import WebSocket from 'ws'
import { APP_FLAGS } from './app-flags.js'

const FRAME_BYTES = 3200 // 100 ms at 16 kHz, 16-bit: one frame in, one frame out
const SILENCE_TAIL = Buffer.alloc(FRAME_BYTES - 6).toString('base64')
const PAYLOAD = Buffer.from('"payload":"')
/** Calls join 100 a second (BENCH_RAMP_MS: over that many ms in all instead), whatever their number. */
const rampMs = (n: number) => Number(process.env.BENCH_RAMP_MS ?? n * 10)

export interface Ready { wsUrl?: string, sids?: string[], media?: string, url?: string, authorization?: string, pid?: number }

export async function startServer (args: string[]) {
  const child = fork(new URL('./live-call-server.ts', import.meta.url).pathname, args, {
    execArgv: ['--import', 'tsx', ...(args[0] === 'app' ? APP_FLAGS : []), ...(process.env.BENCH_GC && args[0] === 'app' ? ['--trace-gc'] : []), ...(process.env.BENCH_PROFILE && args[0] === 'app' ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : [])], env: { ...process.env, FASTIFY_AUTOLOAD_TYPESCRIPT: '1' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc']
  })
  const [ready] = await once(child, 'message') as [Ready]
  return { child, ready }
}

export async function cpuOf (child: ChildProcess): Promise<number> {
  child.send({ cmd: 'cpu' })
  const [{ cpu, loopP99, loopMax }] = await once(child, 'message') as [{ cpu: NodeJS.CpuUsage, loopP99: number, loopMax: number }]
  if (process.env.BENCH_VERBOSE) console.log(`  server event loop delay since last asked: p99 ${loopP99.toFixed(1)} ms, max ${loopMax.toFixed(1)} ms`)
  return (cpu.user + cpu.system) / 1000
}

/** The app's live calls: the URL each of its answered calls streams to, asked of /ws-url as Exotel does. */
export async function appCallers (ready: Ready) {
  return await Promise.all(ready.sids!.map(async (sid) => {
    const answer = await fetch(`${ready.wsUrl!}&CallSid=${sid}`)
    return { url: ((await answer.json()) as { url: string }).url, sid }
  }))
}

/** Closes the app (dropping its database on a PostgreSQL server), then its process. */
export async function stopApp (child: ChildProcess) {
  child.send({ cmd: 'drop' })
  await once(child, 'message')
  child.send({ cmd: 'exit' })
}

/** Measuring starts once every caller is streaming; until then latencies are not counted. */
const window = { from: Infinity, until: Infinity }

/**
 * One caller: streams frames in real time until the window ends, each carrying its number; records echo delays, and
 * tells `echoing` at its first echo.
 */
async function caller (url: string, sid: string, latencies: number[], echoing: () => void) {
  // Masked with a zero key, which RFC 6455 allows: the server still unmasks every frame as it would Exotel's, and
  // the callers save masking each 4 KB frame in JavaScript (a third of their CPU, on the cores the server uses).
  const socket = new WebSocket(url, { generateMask: (mask) => { mask.fill(0) } })
  await once(socket, 'open')
  const sent = new Map<number, number>()
  let heard = false
  socket.on('message', (data: Buffer) => {
    // Only the frame's number is read (the first 4 bytes of its payload: 8 characters of base64), not the whole
    // message: the callers share the machine's two cores with the server they measure.
    const key = data.indexOf(PAYLOAD) // only media frames carry one (not marks, not clears)
    if (key === -1) return
    const payload = key + PAYLOAD.length
    if (!heard) {
      heard = true
      echoing()
    }
    const seq = Buffer.from(data.toString('latin1', payload, payload + 8), 'base64').readUInt32LE(0)
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
  // A frame is silence with its number in its first 4 bytes: the base64 of its first 6 bytes changes, the rest never.
  const head = Buffer.alloc(6)
  const started = performance.now()
  for (let seq = 0; performance.now() < window.until; seq++) {
    head.writeUInt32LE(seq, 0)
    sent.set(seq, performance.now())
    socket.send(`{"event":"media","stream_sid":"${streamSid}","media":{"chunk":"${seq + 1}","timestamp":"${seq * 100}",` +
      `"payload":"${head.toString('base64')}${SILENCE_TAIL}"}}`)
    const next = started + (seq + 1) * 100
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())))
  }
  await new Promise((resolve) => setTimeout(resolve, 300)) // the last echoes
  socket.close()
  await once(socket, 'close')
}

export const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN
}

/**
 * N callers join (100 a second, or over BENCH_RAMP_MS); once every one hears its echo (its stream has started: `setupMs` after the first
 * joined), they stream together for `seconds`, while `during` (if given) runs. Answers the echo delays' p50 and
 * p99 in that window, and the server's CPU per call. Call set-up (the token's claim, the call's records, the
 * assistant's start) is not in the window: at 100 calls a second it is a burst no campaign makes.
 */
export async function run (n: number, server: { child: ChildProcess }, urls: () => Promise<Array<{ url: string, sid: string }>>,
  seconds: number, during?: () => Promise<unknown>) {
  const targets = await urls()
  const latencies: number[] = []
  window.from = Infinity
  window.until = Infinity
  let echoing = 0
  let allEchoing: () => void
  const streaming = new Promise<void>((resolve) => { allEchoing = resolve })
  const joined = performance.now()
  // Calls come in over the ramp (a real campaign adds at most a few a second), then all stream together.
  const callers = targets.map(({ url, sid }, i) => new Promise((resolve) => setTimeout(resolve, (i * rampMs(targets.length)) / targets.length))
    .then(() => caller(url, sid, latencies, () => { if (++echoing === n) allEchoing() })))
  await Promise.race([streaming, new Promise((_resolve, reject) => setTimeout(() => reject(new Error(`${echoing} of ${n} callers heard an echo in 2 minutes`)), 120_000).unref())])
  const setupMs = performance.now() - joined
  await new Promise((resolve) => setTimeout(resolve, 1000)) // settle: the backlog of the last starts is played out
  const cpuBefore = await cpuOf(server.child)
  const callersBefore = process.cpuUsage()
  window.from = performance.now()
  window.until = window.from + seconds * 1000
  await Promise.all([new Promise((resolve) => setTimeout(resolve, seconds * 1000)), during?.()])
  const cpuMs = await cpuOf(server.child) - cpuBefore
  const callersCpu = process.cpuUsage(callersBefore)
  await Promise.all(callers)
  const expected = n * seconds * 10
  return {
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    cpuPerCall: cpuMs / seconds / n,
    // The callers' own CPU (this process), on the same two cores as the server's.
    callersCpuPerCall: (callersCpu.user + callersCpu.system) / 1000 / seconds / n,
    echoes: latencies.length,
    expected,
    setupMs
  }
}
