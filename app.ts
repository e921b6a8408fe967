import path from 'node:path'
import autoload from '@fastify/autoload'
import type { FastifyError, FastifyInstance } from 'fastify'
import type { DbPluginOptions } from './plugins/app/db.js'
import type { EnvPluginOptions } from './plugins/external/env.js'

export type AppOptions = EnvPluginOptions & DbPluginOptions

/**
 * The application as one plugin: third-party plugins, then our own decorators, then the routes. Tests register
 * it on a Fastify instance of their own and call `inject`; server.ts registers it and listens.
 */
export default async function app (fastify: FastifyInstance, opts: AppOptions) {
  // Set before the routes register: a route keeps the error handler in force when it was added.
  // Every error answers in the seed's envelope. A 5xx says nothing of its cause: that goes to the log only.
  fastify.setErrorHandler((error: FastifyError & { expose?: boolean }, request, reply) => {
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600
      ? error.statusCode
      : 500
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed')
    } else {
      request.log.info({ status, reason: error.message }, 'request refused')
    }
    const message = status < 500 || error.expose === true ? error.message : 'Internal Server Error'
    return reply.code(status).send({ success: false, message })
  })

  fastify.setNotFoundHandler((request, reply) => {
    const route = request.url.split('?', 1)[0]
    return reply.code(404).send({ success: false, message: `Route ${request.method} ${route} not found` })
  })

  fastify.register(autoload, { dir: path.join(import.meta.dirname, 'plugins/external'), options: opts })
  fastify.register(autoload, { dir: path.join(import.meta.dirname, 'plugins/app'), options: opts })
  fastify.register(autoload, {
    dir: path.join(import.meta.dirname, 'routes'),
    autoHooks: true,
    cascadeHooks: true,
    options: opts
  })
}
