// The scripted assistant's greeting, said with each customer's own name: the time from a stream's `start` to the
// first audio frame the caller receives (p50, p99), with 1 and with 200 calls starting within one second (goal:
// p99 <= 150 ms at 200), and the server's event-loop delay meanwhile. Baseline in the same run: the same server
// when every customer has the same name, so the greeting is made once and then said from the cache (goal: the
// loop delay's p99 with synthesis <= 2x this). A third row: the calls ring for RING_MS before they are answered, as
// real calls do, and the server makes each greeting ahead while they ring.
import { once } from 'node:events'
import WebSocket from 'ws'
import { appCallers, percentile, startServer, stopApp } from './live-calls.js'

const COUNTS = (process.env.BENCH_CALLS ?? '1,200').split(',').map(Number)
const WITHIN_MS = 1000
const RING_MS = Number(process.env.BENCH_RING_MS ?? 3000)
process.env.BENCH_ASSISTANT = 'scripted'

async function firstAudio (url: string, sid: string): Promise<number> {
  const socket = new WebSocket(url)
  await once(socket, 'open')
  const streamSid = sid.padEnd(32, '0')
  const heard = new Promise<number>((resolve) => {
    socket.on('message', (data) => { if (JSON.parse(String(data)).event === 'media') resolve(performance.now()) })
  })
  socket.send(JSON.stringify({ event: 'connected' }))
  const started = performance.now()
  socket.send(JSON.stringify({
    event: 'start',
    stream_sid: streamSid,
    start: { stream_sid: streamSid, call_sid: sid, custom_parameters: {}, media_format: { encoding: 'audio/x-raw', sample_rate: '8000', bit_rate: '16' } }
  }))
  const at = await heard
  socket.close()
  return at - started
}

async function loopDelay (child: import('node:child_process').ChildProcess): Promise<{ p99: number, max: number }> {
  child.send({ cmd: 'cpu' })
  const [{ loopP99, loopMax }] = await once(child, 'message') as [{ loopP99: number, loopMax: number }]
  return { p99: loopP99, max: loopMax }
}

async function measure (n: number, names: 'own' | 'same' | 'ring') {
  const server = await startServer(names === 'same' ? ['app', String(n + 1), 'same'] : ['app', String(n), ...names === 'ring' ? ['ring'] : []])
  // Streams at 8 kHz, Exotel's usual (and the format greetings are made ahead in).
  const targets = await appCallers({ ...server.ready, wsUrl: server.ready.wsUrl!.replace('sample-rate=16000', 'sample-rate=8000') })
  if (names === 'ring') {
    server.child.send({ cmd: 'ring' })
    await once(server.child, 'message')
    await new Promise((resolve) => setTimeout(resolve, RING_MS))
  }
  if (names === 'same') {
    const warm = targets.shift()!
    await firstAudio(warm.url, warm.sid) // the greeting, made once
  }
  await loopDelay(server.child) // from here
  const delays = await Promise.all(targets.map(async ({ url, sid }, i) => {
    await new Promise((resolve) => setTimeout(resolve, (i * WITHIN_MS) / targets.length))
    return await firstAudio(url, sid)
  }))
  const loop = await loopDelay(server.child)
  await stopApp(server.child)
  return { p50: percentile(delays, 0.5), p99: percentile(delays, 0.99), loop }
}

console.log(`\ngreeting with the customer's name: stream start -> first audio frame (calls start within ${WITHIN_MS} ms)`)
console.log('calls'.padStart(6), 'names'.padEnd(22), 'p50 ms'.padStart(8), 'p99 ms'.padStart(8), 'loop p99'.padStart(9), 'loop max'.padStart(9), 'p99 vs cached'.padStart(14), 'loop vs cached'.padStart(15))
for (const n of COUNTS) {
  const cached = await measure(n, 'same')
  const own = await measure(n, 'own')
  const rang = await measure(n, 'ring')
  for (const [label, result] of [['same (cached)', cached], ['own (synthesized)', own], [`own, rang ${RING_MS / 1000} s`, rang]] as const) {
    console.log(String(n).padStart(6), label.padEnd(22), result.p50.toFixed(1).padStart(8), result.p99.toFixed(1).padStart(8),
      result.loop.p99.toFixed(1).padStart(9), result.loop.max.toFixed(1).padStart(9),
      `${(result.p99 / cached.p99).toFixed(2)}x`.padStart(14), `${(result.loop.p99 / cached.loop.p99).toFixed(2)}x`.padStart(15))
  }
}
