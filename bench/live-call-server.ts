// The server side of bench/live-call.bench.ts, in its own process so that its CPU time is its own:
// `app N` starts the whole app with the echo assistant and N calls answered (as Exotel leaves them when the
// Voicebot applet starts); `ws` starts a bare `ws` server that echoes each media frame, the baseline.
// It tells its parent where it listens, and answers `cpu` with its CPU time so far. BENCH_RECORDINGS=off: calls are not
// recorded (on, the product's default, otherwise).
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { WebSocketServer } from 'ws'
import { applyReport } from '../lib/calls/calls.js'
import { startBenchApp } from './bench-app.js'
import { freshDatabase } from './fresh-database.js'

// `app N same`: every caller has the same name (the greeting is made once, then said from the cache); `app N ring`:
// the calls are dialled, not yet answered, and ring when the parent says `ring`.
const [mode, count, names] = process.argv.slice(2)
const send = (message: object) => process.send!(message)
const loop = monitorEventLoopDelay({ resolution: 5 })
loop.enable()
process.on('message', (message: { cmd: string }) => {
  if (message.cmd === 'cpu') {
    send({ cpu: process.cpuUsage(), loopP99: loop.percentile(99) / 1e6, loopMax: loop.max / 1e6 })
    loop.reset()
  }
  if (message.cmd === 'exit') process.exit(0) // (--cpu-prof writes its profile on exit)
})

if (mode === 'ws') {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  server.on('connection', (socket) => {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data))
      if (message.event === 'media') {
        socket.send(JSON.stringify({ event: 'media', stream_sid: message.stream_sid, media: { payload: message.media.payload } }))
      }
    })
  })
  server.on('listening', () => send({ ready: true, media: `ws://127.0.0.1:${(server.address() as { port: number }).port}/media` }))
} else {
  const token = 'bench-webhook-token-0123456789'
  const database = process.env.BENCH_DATABASE_URL ? await freshDatabase(process.env.BENCH_DATABASE_URL) : undefined
  const { server, url, authorization } = await startBenchApp({
    ASSISTANT: process.env.BENCH_ASSISTANT ?? 'echo', RECORDINGS: process.env.BENCH_RECORDINGS ?? 'on', EXOTEL_WEBHOOK_TOKEN: token, LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn', ...(database && { DATABASE_URL: database.url })
  })
  process.on('message', (message: { cmd: string }) => {
    if (message.cmd === 'drop') server.close().then(() => database?.drop()).then(() => send({ dropped: true }), () => send({ dropped: false }))
  })
  const { rows } = await server.db.query<{ exotel_sid: string }>(
    `WITH customers AS (
       INSERT INTO customer (id, name, phone)
       SELECT 'L' || n, CASE WHEN $2 THEN 'Asha Rao' ELSE 'Caller' || n || ' Rao' END, '+9190' || lpad(n::text, 8, '0')
       FROM generate_series(1, $1::int) n RETURNING id, name, phone
     )
     INSERT INTO call (customer_id, customer_name, phone, triggered_by, status, exotel_sid, claimed_at, dialled_at, answered_at)
     SELECT id, name, phone, 'bench', CASE WHEN $3 THEN 'initiated' ELSE 'in-progress' END, md5(id), now(), now(), now()
     FROM customers RETURNING exotel_sid`,
    [Number(count), names === 'same', names === 'ring']
  )
  process.on('message', (message: { cmd: string }) => {
    // The calls ring (as Exotel's callbacks would say) before they are answered.
    if (message.cmd === 'ring') {
      Promise.all(rows.map(({ exotel_sid: sid }) => applyReport(server.db, { exotelSid: sid }, { status: 'ringing', source: 'bench', dedupeKey: 'ringing', detail: {} })))
        .then(() => send({ rung: true }), () => send({ rung: false }))
    }
  })
  // What SPEECH_WARM_UP starts at onReady, finished before the calls: a server's one-time start, not a call's cost.
  await server.speech.warmUp()
  send({ ready: true, url, authorization, wsUrl: `${url}/ws-url?token=${token}&sample-rate=16000`, sids: rows.map((row) => row.exotel_sid) })
}
