import { Writable } from 'node:stream'
import Fastify, { LogController, type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import app, { options } from '../app.js'

/**
 * The whole app listening on loopback with the local Cognito emulator, and a user signed up and signed in through
 * the API (the confirmation code read from the log, as an operator would): what every benchmark starts from.
 */
export async function startBenchApp (env: Record<string, string>, setup?: (server: FastifyInstance) => void) {
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
  const server = Fastify({
    ...options,
    logger: { level: 'info', stream },
    logController: new LogController({ disableRequestLogging: true }),
    pluginTimeout: 0
  })
  // Any hour, no attempt cap: a benchmark measures dialling whenever it runs.
  server.register(fp(app), { env: { DATA_DIR: 'memory://', CALLING_HOURS: '00:00-24:00', ATTEMPT_CAP: '0', ...env } })
  if (setup) server.after(() => setup(server))
  const url = await server.listen({ host: '127.0.0.1', port: 0 })
  const email = `bench.${Date.now()}@example.com`
  const password = 'Passw0rd!long'
  await server.inject({ method: 'POST', url: '/auth/signup', payload: { email, password } })
  await server.inject({ method: 'POST', url: '/auth/confirm-signup', payload: { email, confirmation_code: codes.get(email) } })
  const login = await server.inject({ method: 'POST', url: '/auth/login', payload: { email, password } })
  return { server, url, authorization: `Bearer ${login.json().access_token as string}` }
}
