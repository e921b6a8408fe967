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

// SIGINT/SIGTERM: stop accepting, let in-flight requests finish (up to 10 s), then close the database.
closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err) server.log.error({ err }, 'closing after an uncaught error')
  else server.log.info({ signal }, 'closing')
  await server.close()
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
