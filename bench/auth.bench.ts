// A protected route (bearer token verified, then checked against the revocation list) against the same route
// unprotected, in the same app and run, with the local Cognito emulator. On PGlite (one process owns the database)
// the revocation list is mirrored in memory; with BENCH_DATABASE_URL set, the same app on a new database of that
// PostgreSQL server, where each instance mirrors the list too, kept by LISTEN/NOTIFY and leases (lib/auth/revocations.ts).
import { startBenchApp } from './bench-app.js'
import { freshDatabase } from './fresh-database.js'
import { load, printTable, type LoadResult } from './http-load.js'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)

async function measure (engine: string, env: Record<string, string>): Promise<LoadResult[]> {
  // Two routes alike but for the bearer-token check, so that the difference is the check alone.
  const { server, url, authorization } = await startBenchApp(env, (server) => {
    server.get('/bench/open', async () => ({ success: true }))
    server.get('/bench/protected', { onRequest: server.authenticate }, async () => ({ success: true }))
  })
  try {
    // Taken in turns, twice each, and the better kept: the first runs of a process are slower (JIT), whichever goes first.
    const runs: LoadResult[][] = [[], []]
    for (let round = 0; round < 2; round++) {
      runs[0]!.push(await load(`unprotected route (${engine})`, `${url}/bench/open`, SECONDS))
      runs[1]!.push(await load(`protected route (${engine})`, `${url}/bench/protected`, SECONDS, 10, { authorization }))
    }
    return runs.map((results) => results.reduce((best, result) => result.requestsPerSecond > best.requestsPerSecond ? result : best))
  } finally {
    await server.close()
  }
}

// Each engine's protected route against its own unprotected one, measured in the same run: the ratio is the check's cost.
const [pgliteOpen, pgliteProtected] = await measure('PGlite', {})
printTable(`Bearer-token check on PGlite, ${SECONDS} s each, 10 connections, loopback`, pgliteOpen!, [pgliteProtected!])
if (process.env.BENCH_DATABASE_URL) {
  const database = await freshDatabase(process.env.BENCH_DATABASE_URL)
  try {
    const [postgresOpen, postgresProtected] = await measure('PostgreSQL', { DATABASE_URL: database.url })
    printTable(`Bearer-token check on PostgreSQL, ${SECONDS} s each, 10 connections, loopback`, postgresOpen!, [postgresProtected!])
  } finally {
    await database.drop()
  }
}
