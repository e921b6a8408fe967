import fastifyEnv from '@fastify/env'
import fp from 'fastify-plugin'
import { Config } from '../../schemas/config.js'
import { checkWindow, windowOf } from '../../lib/calling-rules/calling-window.js'
import { ConfigError } from '../../lib/server/config-error.js'
import { readCallerIds } from '../../lib/exotel/caller-ids.js'
import { assertPortFree } from '../../lib/server/port.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
  }
}

export interface EnvPluginOptions {
  /** The variables to read. Default: the process environment plus a `.env` file when there is one. */
  env?: Record<string, string | undefined>
  /** Stop at once (a ConfigError) when HOST:PORT is taken, before anything else starts: set by server.ts. */
  checkPort?: boolean
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
  const missing = missingCompanions(fastify.config)
  if (missing) throw new ConfigError(missing)
  fastify.log.level = fastify.config.LOG_LEVEL
  if (opts.checkPort) await assertPortFree(fastify.config.HOST, fastify.config.PORT)
}, { name: 'env' })

// Variables that only make sense together: checked here, before anything starts, so a bad set starts nothing.
const COMPANIONS: Array<[keyof Config, Array<keyof Config>]> = [
  ['COGNITO_USER_POOL_ID', ['COGNITO_CLIENT_ID']],
  ['EXOTEL_API_KEY', ['EXOTEL_API_TOKEN', 'EXOTEL_ACCOUNT_SID', 'EXOTEL_WEBHOOK_TOKEN']],
  ['RECORDINGS_S3_ACCESS_KEY_ID', ['RECORDINGS_S3_SECRET_ACCESS_KEY', 'RECORDINGS_S3_BUCKET']],
  ['RECORDINGS_S3_SECRET_ACCESS_KEY', ['RECORDINGS_S3_ACCESS_KEY_ID']],
  ['RECORDINGS_S3_ENDPOINT', ['RECORDINGS_S3_BUCKET']]
]

function missingCompanions (config: Config): string | undefined {
  for (const [lead, companions] of COMPANIONS) {
    const missing = companions.filter((name) => config[lead] && !config[name])
    if (missing.length > 0) return `Invalid configuration: ${missing.join(', ')} must be set with ${lead}`
  }
  const callerIds = config.EXOTEL_CALLER_IDS ? readCallerIds(config.EXOTEL_CALLER_IDS) : { numbers: [] }
  if ('bad' in callerIds) return `Invalid configuration: EXOTEL_CALLER_IDS: "${callerIds.bad}" is not a phone number in E.164 (+91...)`
  if (config.EXOTEL_API_KEY && !config.EXOTEL_CALLER_ID && !config.EXOTEL_CALLER_IDS) {
    return 'Invalid configuration: EXOTEL_CALLER_ID (or EXOTEL_CALLER_IDS) must be set with EXOTEL_API_KEY'
  }
  if (config.EXOTEL_API_KEY && config.EXOTEL_CALL_MODE === 'flow' && !config.EXOTEL_APP_ID) {
    return 'Invalid configuration: EXOTEL_CALL_MODE=flow needs EXOTEL_APP_ID (the Exotel app with the Voicebot applet)'
  }
  if (config.SIGNUP_MODE === 'domains' && !config.ALLOWED_EMAIL_DOMAINS) {
    return 'Invalid configuration: SIGNUP_MODE=domains needs ALLOWED_EMAIL_DOMAINS'
  }
  if (config.ASSISTANT === 'openai' && !config.OPENAI_API_KEY) return 'Invalid configuration: ASSISTANT=openai needs OPENAI_API_KEY'
  try {
    checkWindow(windowOf(config.CALLING_HOURS, config.CALLING_DAYS, config.CALLING_TIMEZONE))
  } catch (error) {
    return `Invalid configuration: CALLING_HOURS, CALLING_DAYS or CALLING_TIMEZONE: ${(error as Error).message}`
  }
  return undefined
}
