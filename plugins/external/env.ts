import fastifyEnv from '@fastify/env'
import fp from 'fastify-plugin'
import { Config } from '../../schemas/config.js'
import { ConfigError } from '../../lib/config-error.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
  }
}

export interface EnvPluginOptions {
  /** The variables to read. Default: the process environment plus a `.env` file when there is one. */
  env?: Record<string, string | undefined>
}

/**
 * Reads and validates the configuration once, at start-up: every other part of the server takes its settings
 * from `fastify.config`. A bad value stops the start with a ConfigError naming the variable.
 */
export default fp<EnvPluginOptions>(async function env (fastify, opts) {
  try {
    await fastify.register(fastifyEnv, {
      schema: Config,
      data: opts.env ?? process.env,
      dotenv: opts.env === undefined
    })
  } catch (error) {
    throw ConfigError.from(error)
  }
  fastify.log.level = fastify.config.LOG_LEVEL
}, { name: 'env' })
