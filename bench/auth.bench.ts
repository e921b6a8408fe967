// A protected route (bearer token verified against the pool's JWKS, then the revocation list checked in the
// database) against an unprotected one of the same app, in the same run. Local Cognito emulator, PGlite.
import { Writable } from 'node:stream'
import Fastify from 'fastify'
import fp from 'fastify-plugin'
import app from '../app.js'
import { load, printTable } from './http-load.js'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)

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
server.register(fp(app), { env: { DATA_DIR: 'memory://' } })
const url = await server.listen({ host: '127.0.0.1', port: 0 })

try {
  const email = 'bench@example.com'
  const password = 'Passw0rd!long'
  await server.inject({ method: 'POST', url: '/auth/signup', payload: { email, password } })
  await server.inject({ method: 'POST', url: '/auth/confirm-signup', payload: { email, confirmation_code: codes.get(email) } })
  const login = await server.inject({ method: 'POST', url: '/auth/login', payload: { email, password } })
  const token = login.json().access_token as string

  const baseline = await load('unprotected GET /health', `${url}/health`, SECONDS)
  const protectedRoute = await load('protected GET /api/customers', `${url}/api/customers`, SECONDS, 10,
    { authorization: `Bearer ${token}` })
  printTable(`Bearer-token check, ${SECONDS} s each, 10 connections, loopback`, baseline, [protectedRoute])
} finally {
  await server.close()
}
