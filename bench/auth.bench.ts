// A protected route (bearer token verified, then checked against the revocation list) against an unprotected one
// of the same app, in the same run, with the local Cognito emulator. On PGlite (one process owns the database)
// the revocation list is mirrored in memory; with BENCH_DATABASE_URL set, the same app on a new database of that PostgreSQL server,
// where every request reads the list (checks arriving together share one query).
import { Writable } from 'node:stream'
import Fastify from 'fastify'
import fp from 'fastify-plugin'
import app from '../app.js'
import { freshDatabase } from './fresh-database.js'
import { load, printTable, type LoadResult } from './http-load.js'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)

async function measure (engine: string, env: Record<string, string>): Promise<LoadResult[]> {
  const codes = new Map<string, string>()
  const stream = new Writable({
    write (chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        const entry = JSON.parse(line)
        if (entry.code) codes.set(entry.email, entry.code)
      }
      done()
    }
  })
  const server = Fastify({ logger: { level: 'info', stream }, disableRequestLogging: true, pluginTimeout: 0 })
  server.register(fp(app), { env: { DATA_DIR: 'memory://', ...env } })
  const url = await server.listen({ host: '127.0.0.1', port: 0 })
  try {
    const email = `bench.${Date.now()}@example.com`
    const password = 'Passw0rd!long'
    await server.inject({ method: 'POST', url: '/auth/signup', payload: { email, password } })
    await server.inject({
      method: 'POST', url: '/auth/confirm-signup', payload: { email, confirmation_code: codes.get(email) }
    })
    const login = await server.inject({ method: 'POST', url: '/auth/login', payload: { email, password } })
    const authorization = `Bearer ${login.json().access_token as string}`
    return [
      await load(`unprotected GET /health (${engine})`, `${url}/health`, SECONDS),
      await load(`protected GET /api/customers (${engine})`, `${url}/api/customers`, SECONDS, 10, { authorization })
    ]
  } finally {
    await server.close()
  }
}

const [baseline, ...rest] = await measure('PGlite', {})
if (process.env.BENCH_DATABASE_URL) {
  const database = await freshDatabase(process.env.BENCH_DATABASE_URL)
  try {
    rest.push(...await measure('PostgreSQL', { DATABASE_URL: database.url }))
  } finally {
    await database.drop()
  }
}
printTable(`Bearer-token check, ${SECONDS} s each, 10 connections, loopback`, baseline!, rest)
