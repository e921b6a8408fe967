import fp from 'fastify-plugin'
import { closeLostConversations } from '../../lib/calls/completion.js'
import { sweepTranscripts } from '../../lib/customers/erase.js'
import { Dispatcher, every } from '../../lib/dispatch/dispatcher.js'
import { pauseFailingCampaigns } from '../../lib/campaigns/self-pause.js'

const HOUR = 3_600_000

declare module 'fastify' {
  interface FastifyInstance {
    /** Dials queued batch calls within the rate and concurrency limits. */
    dispatcher: Dispatcher
  }
}

export interface DispatcherPluginOptions {
  /** The dispatcher's time (default Date.now): the tests move it instead of waiting for retries and sweeps. */
  clock?: () => number
}

/** The dispatcher runs from the moment the server is ready until it closes (before the database does). */
export default fp<DispatcherPluginOptions>(async function dispatcher (fastify, opts) {
  const config = fastify.config
  const selfPause = {
    failedShare: config.CAMPAIGN_PAUSE_FAILED_SHARE,
    minDials: config.CAMPAIGN_PAUSE_MIN_DIALS,
    windowMs: config.CAMPAIGN_PAUSE_WINDOW_SECONDS * 1000
  }
  const dispatcher = new Dispatcher({
    db: fastify.db,
    exotel: fastify.telephony.exotel,
    statusCallbackUrl: () => fastify.telephony.statusCallbackUrl(),
    policy: {
      callsPerMinute: config.CALLS_PER_MINUTE,
      maxInFlight: config.MAX_CONCURRENT_CALLS,
      callTimeoutMs: config.CALL_TIMEOUT_SECONDS * 1000,
      reconcileAfterMs: config.RECONCILE_AFTER_SECONDS * 1000,
      priorityLines: config.PRIORITY_LINES
    },
    campaign: fastify.campaignPolicy,
    clock: opts.clock,
    upkeep: [
      async (_db, now) => fastify.webhookSender.tick(now),
      async (db, now) => {
        for (const { id, reason } of await pauseFailingCampaigns(db, selfPause, now)) fastify.log.warn({ campaignId: id, reason }, 'campaign paused itself')
      },
      // Conversations lost two minutes after their call ended: a minute late is soon enough.
      every(60_000, async (now) => { await closeLostConversations(fastify.db, now) }),
      ...config.RECORDING_RETENTION_DAYS > 0
        ? [every(HOUR, async (now) => {
            const deleted = await fastify.recordings.sweep(config.RECORDING_RETENTION_DAYS, now)
            if (deleted > 0) fastify.log.info({ deleted }, 'retention: recordings past RECORDING_RETENTION_DAYS deleted')
          })]
        : [],
      ...config.TRANSCRIPT_RETENTION_DAYS > 0
        ? [every(HOUR, async (now) => {
            const emptied = await sweepTranscripts(fastify.db, config.TRANSCRIPT_RETENTION_DAYS, now)
            if (emptied > 0) fastify.log.info({ emptied }, 'retention: transcripts past TRANSCRIPT_RETENTION_DAYS emptied')
          })]
        : []
    ],
    onError: (error, call) => fastify.log.warn({ err: error, callId: call?.id }, 'dispatch failed')
  })
  fastify.decorate('dispatcher', dispatcher)
  fastify.addHook('onReady', async () => dispatcher.start())
  fastify.addHook('onClose', async () => dispatcher.stop())
}, { name: 'dispatcher', dependencies: ['db', 'telephony', 'env', 'campaign-policy', 'webhooks', 'recordings'] })
