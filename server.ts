import closeWithGrace from 'close-with-grace'
import Fastify from 'fastify'
import fp from 'fastify-plugin'
import app, { options } from './app.js'
import { ConfigError } from './lib/server/config-error.js'
import { logOptions } from './lib/server/log-options.js'

// Generous to slow uploads and long-polling clients, strict with clients that never finish their headers.
const server = Fastify({
  ...options,
  logger: logOptions(),
  connectionTimeout: 120_000,
  requestTimeout: 120_000,
  keepAliveTimeout: 10_000,
  http: { headersTimeout: 15_000 },
  // The first start creates the embedded database and the local Cognito pool: longer than avvio's 10 s default.
  pluginTimeout: 120_000
})

server.register(fp(app), { checkPort: true })

// SIGINT (and an uncaught error): stop accepting, let in-flight requests finish (up to 10 s), close the database.
closeWithGrace({ delay: 10_000, skip: ['SIGTERM'] }, async ({ signal, err }) => {
  if (err) server.log.error({ err }, 'closing after an uncaught error')
  else server.log.info({ signal }, 'closing')
  await server.close()
})

// SIGTERM, a deploy: /ready says 503 and nothing more is claimed here, while the live calls go on to their end (at
// most DRAIN_SECONDS); then the server closes and exits 0. A second SIGTERM ends the live calls at once.
let terms = 0
process.on('SIGTERM', () => {
  if (++terms > 1) {
    server.endDrain('the server stopped: a second SIGTERM')
    return
  }
  server.log.info({ signal: 'SIGTERM' }, 'closing')
  server.drain().then(async () => await server.close()).then(() => process.exit(0), (error: unknown) => {
    server.log.error({ err: error }, 'the drain failed')
    process.exit(1)
  })
})

try {
  await server.ready()
  await server.listen({ host: server.config.HOST, port: server.config.PORT })
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`)
  } else {
    server.log.fatal({ err: error }, 'the server could not start')
  }
  process.exit(1)
}
