// What the scripted assistant (with speech synthesis) costs a live call, against the echo assistant, in the same
// run: N callers at 8 kHz (Exotel's usual), each talking in turns (1.5 s of voice, then 2.5 s of quiet, over and
// over), for BENCH_SECONDS. Reported per assistant: the server's CPU time per call-second, the calls one core
// carries at that rate, and a delay: the echo's (a frame sent -> its echo back), the scripted assistant's reply
// (the caller's last word -> the first audio of its answer, which waits 700 ms of quiet to know they stopped).
// The goal: calls per core with the scripted assistant at least half the echo's. BENCH_CALLS (default 100).
// The server has loaded its speech engine (SPEECH_WARM_UP's work at start) before the calls begin; each call still
// has its own greeting made (every caller has another name).
import { once } from 'node:events'
import WebSocket from 'ws'
import { appCallers, cpuOf, percentile, startServer, stopApp } from './live-calls.js'

const N = Number(process.env.BENCH_CALLS ?? 100)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20)
const FRAME_MS = 100
const FRAME_BYTES = 1600 // 100 ms at 8 kHz, 16-bit
const CYCLE_MS = 4000
const TALK_MS = 1500

/** A frame of voice-loud noise (or quiet), numbered in its first 4 bytes. */
function frame (seq: number, loud: boolean): Buffer {
  const audio = Buffer.alloc(FRAME_BYTES)
  if (loud) for (let i = 4; i < FRAME_BYTES; i += 2) audio.writeInt16LE(Math.round((Math.random() - 0.5) * 6000), i)
  audio.writeUInt32LE(seq, 0)
  return audio
}

/** One caller for `ms`: sends frames in real time, talking in turns; answers the delays it saw. */
async function talker (url: string, sid: string, phase: number, ms: number, assistant: 'echo' | 'scripted') {
  const socket = new WebSocket(url)
  await once(socket, 'open')
  const delays: number[] = []
  const sent = new Map<number, number>()
  let lastWord = -Infinity
  let answered = true
  socket.on('message', (data) => {
    const message = JSON.parse(String(data))
    if (message.event !== 'media') return
    const now = performance.now()
    if (assistant === 'echo') {
      const at = sent.get(Buffer.from(message.media.payload, 'base64').readUInt32LE(0))
      if (at !== undefined) delays.push(now - at)
    } else if (!answered) {
      answered = true
      delays.push(now - lastWord)
    }
  })
  const streamSid = sid.padEnd(32, '0')
  socket.send(JSON.stringify({ event: 'connected' }))
  socket.send(JSON.stringify({
    event: 'start',
    stream_sid: streamSid,
    start: { stream_sid: streamSid, call_sid: sid, custom_parameters: {}, media_format: { encoding: 'audio/x-raw', sample_rate: '8000', bit_rate: '16' } }
  }))
  const started = performance.now()
  let wasLoud = false
  for (let seq = 0; performance.now() - started < ms; seq++) {
    const loud = (seq * FRAME_MS + phase) % CYCLE_MS < TALK_MS
    // Their words end: the next audio from the assistant answers them (the greeting is over by the first).
    if (wasLoud && !loud) { lastWord = performance.now(); answered = seq * FRAME_MS < 6000 }
    wasLoud = loud
    sent.set(seq, performance.now())
    socket.send(JSON.stringify({ event: 'media', stream_sid: streamSid, media: { chunk: String(seq + 1), timestamp: String(seq * FRAME_MS), payload: frame(seq, loud).toString('base64') } }))
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + (seq + 1) * FRAME_MS - performance.now())))
  }
  socket.close()
  await once(socket, 'close')
  return delays
}

async function measure (assistant: 'echo' | 'scripted') {
  process.env.BENCH_ASSISTANT = assistant
  const server = await startServer(['app', String(N)])
  const targets = await appCallers({ ...server.ready, wsUrl: server.ready.wsUrl!.replace('sample-rate=16000', 'sample-rate=8000') })
  const before = await cpuOf(server.child)
  const all = await Promise.all(targets.map(({ url, sid }, i) => talker(url, sid, (i * 397) % CYCLE_MS, SECONDS * 1000, assistant)))
  const cpuMs = await cpuOf(server.child) - before
  await stopApp(server.child)
  const delays = all.flat()
  const perCall = cpuMs / SECONDS / N
  return { perCall, perCore: 1000 / perCall, p50: percentile(delays, 0.5), p99: percentile(delays, 0.99), samples: delays.length }
}

console.log(`\nassistants: ${N} callers talking in turns at 8 kHz for ${SECONDS} s; CPU per call-second, and calls per core at that rate`)
console.log('assistant'.padEnd(10), 'CPU ms/s/call'.padStart(14), 'calls/core'.padStart(11), 'delay'.padEnd(28), 'p50 ms'.padStart(8), 'p99 ms'.padStart(8), 'samples'.padStart(8), 'calls/core vs echo'.padStart(19))
const echo = await measure('echo')
const scripted = await measure('scripted')
for (const [name, result, delay] of [['echo', echo, 'frame -> its echo'], ['scripted', scripted, "last word -> the answer's audio"]] as const) {
  console.log(name.padEnd(10), result.perCall.toFixed(2).padStart(14), result.perCore.toFixed(0).padStart(11), delay.padEnd(28),
    result.p50.toFixed(1).padStart(8), result.p99.toFixed(1).padStart(8), String(result.samples).padStart(8),
    `${(result.perCore / echo.perCore).toFixed(2)}x`.padStart(19))
}
