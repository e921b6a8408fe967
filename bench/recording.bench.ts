// What recording costs a live call: N callers (as Exotel: 100 ms frames of 16 kHz audio in real time) talk to the
// app's echo assistant with RECORDINGS=off, then with RECORDINGS=on (each call written to a stereo WAV as it goes),
// measured in the same run: the echo's delay (caller frame sent -> echoed frame received) and the server's CPU time
// per call-second. The goal: p99 and CPU with recording at most 1.2x without. BENCH_CALLS (default 200),
// BENCH_SECONDS (default 10); BENCH_DATABASE_URL runs the app on PostgreSQL.
import { appCallers, run, startServer, stopApp } from './live-calls.js'

const N = Number(process.env.BENCH_CALLS ?? 200)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)

console.log(`\nrecording: ${N} live calls, ${SECONDS} s measured, echo assistant, recordings off then on`)
console.log('recordings'.padEnd(11), 'p50 ms'.padStart(8), 'p99 ms'.padStart(8), 'CPU ms/s/call'.padStart(14), 'echoes'.padStart(11),
  'p99 vs off'.padStart(11), 'CPU vs off'.padStart(11))
let off: Awaited<ReturnType<typeof run>> | undefined
for (const mode of ['off', 'on']) {
  process.env.BENCH_RECORDINGS = mode
  const app = await startServer(['app', String(N)])
  const result = await run(N, app, async () => await appCallers(app.ready), SECONDS)
  await stopApp(app.child)
  off ??= result
  console.log(mode.padEnd(11), result.p50.toFixed(1).padStart(8), result.p99.toFixed(1).padStart(8), result.cpuPerCall.toFixed(2).padStart(14),
    `${result.echoes}/${result.expected}`.padStart(11), `${(result.p99 / off.p99).toFixed(2)}x`.padStart(11),
    `${(result.cpuPerCall / off.cpuPerCall).toFixed(2)}x`.padStart(11))
}
