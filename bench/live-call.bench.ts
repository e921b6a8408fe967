// Live calls through the media WebSocket: N callers (as Exotel: connected, start, then 100 ms frames of 16 kHz
// audio in real time) join, 100 a second (or over BENCH_RAMP_MS), and talk to the app's echo assistant; once all are
// streaming, the time from each caller frame sent to its echo received is measured; the same callers then talk to a bare `ws` echo server (JSON in, JSON out, nothing else),
// measured in the same run as the baseline. Each server runs in its own process, whose CPU time is reported per
// call. BENCH_CALLS lists the N to try (default 50,200,500); BENCH_SECONDS how long each runs (default 10);
// BENCH_DATABASE_URL runs the app on a throwaway database of that PostgreSQL server instead of PGlite. The callers
// run in this process, on the same two cores: their CPU per call-second is printed too.
import { appCallers, run, startServer, stopApp } from './live-calls.js'

const COUNTS = (process.env.BENCH_CALLS ?? '50,200,500').split(',').map(Number)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)

console.log(`\nlive calls: caller frame in -> echoed frame out (calls join ${process.env.BENCH_RAMP_MS ? `over ${process.env.BENCH_RAMP_MS} ms` : '100 a second'}, then ${SECONDS} s measured of 100 ms frames at 16 kHz)`)
console.log('calls'.padStart(6), 'server'.padEnd(8), 'p50 ms'.padStart(8), 'p99 ms'.padStart(8), 'CPU ms/s/call'.padStart(14),
  'echoes'.padStart(9), 'p99 vs ws'.padStart(10), 'CPU vs ws'.padStart(10), 'all echoing s'.padStart(14), 'callers CPU'.padStart(12))
for (const n of COUNTS) {
  const bare = await startServer(['ws'])
  const baseline = await run(n, bare, async () => Array.from({ length: n }, (_, i) => ({ url: bare.ready.media!, sid: `s${i}` })), SECONDS)
  bare.child.send({ cmd: 'exit' })
  const app = await startServer(['app', String(n)])
  const measured = await run(n, app, async () => await appCallers(app.ready), SECONDS)
  await stopApp(app.child)
  for (const [name, result] of [['ws', baseline], ['app', measured]] as const) {
    console.log(String(n).padStart(6), name.padEnd(8), result.p50.toFixed(1).padStart(8), result.p99.toFixed(1).padStart(8),
      result.cpuPerCall.toFixed(2).padStart(14), `${result.echoes}/${result.expected}`.padStart(9),
      `${(result.p99 / baseline.p99).toFixed(2)}x`.padStart(10), `${(result.cpuPerCall / baseline.cpuPerCall).toFixed(2)}x`.padStart(10),
      (result.setupMs / 1000).toFixed(1).padStart(14), result.callersCpuPerCall.toFixed(2).padStart(12))
  }
}
