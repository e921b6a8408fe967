import fp from 'fastify-plugin'
import { windowOf } from '../../lib/calling-rules/calling-window.js'
import { Dispatcher } from '../../lib/calls/dispatcher.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Dials queued batch calls within the rate and concurrency limits; holds the campaign policy (retries, window, cap). */
    dispatcher: Dispatcher
  }
}

/** The dispatcher runs from the moment the server is ready until it closes (before the database does). */
export default fp(async function dispatcher (fastify) {
  const config = fastify.config
  const dispatcher = new Dispatcher({
    db: fastify.db,
    exotel: fastify.telephony.exotel,
    statusCallbackUrl: () => fastify.telephony.statusCallbackUrl(),
    policy: {
      callsPerMinute: config.CALLS_PER_MINUTE,
      maxInFlight: config.MAX_CONCURRENT_CALLS,
      callTimeoutMs: config.CALL_TIMEOUT_SECONDS * 1000,
      reconcileAfterMs: config.RECONCILE_AFTER_SECONDS * 1000,
      retry: { retries: config.CALL_RETRIES, delayMs: config.CALL_RETRY_DELAY_SECONDS * 1000 },
      priorityLines: config.PRIORITY_LINES,
      defaultWindow: windowOf(config.CALLING_HOURS, config.CALLING_DAYS, config.CALLING_TIMEZONE),
      attemptCap: { attempts: config.ATTEMPT_CAP, periodMs: config.ATTEMPT_CAP_HOURS * 3600_000 }
    },
    onError: (error, call) => fastify.log.warn({ err: error, callId: call?.id }, 'dispatch failed')
  })
  fastify.decorate('dispatcher', dispatcher)
  fastify.addHook('onReady', async () => dispatcher.start())
  fastify.addHook('onClose', async () => dispatcher.stop())
}, { name: 'dispatcher', dependencies: ['db', 'telephony', 'env'] })
