import { timingSafeEqual } from 'node:crypto'
import { createServer } from 'node:http'
import fp from 'fastify-plugin'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { CallQuality } from '../../lib/live-call/quality.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The Prometheus registry GET /metrics answers (and METRICS_PORT serves). */
    metrics: Registry
    /** Whether an Authorization header carries `token` (METRICS_TOKEN). */
    metricsAllowed (authorization: string | undefined, token: string): boolean
    /** A call's stream ended here: its quality numbers go into the histograms. */
    observeQuality (quality: CallQuality): void
  }
}

const LIVE = "status IN ('initiated', 'ringing', 'in-progress')"

/**
 * Metrics in the Prometheus text format (prom-client): the process's own (CPU, memory, event-loop delay, GC), request
 * latency by route, and the product's gauges, each read when scraped: live streams, calls in flight, dials in the
 * last minute, the webhook outbox's backlog and lag, whether the instance is draining.
 */
export default fp(async function metrics (fastify) {
  const { db, config } = fastify
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const requests = new Histogram({
    name: 'vcm_http_request_duration_seconds',
    help: 'HTTP requests by method, route (as declared) and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry]
  })
  fastify.addHook('onResponse', async (request, reply) => {
    requests.observe({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: reply.statusCode }, reply.elapsedTime / 1000)
  })
  const gauge = (name: string, help: string, read: () => Promise<number> | number) => new Gauge({
    name, help, registers: [registry], async collect () { this.set(await read()) }
  })
  const count = async (sql: string) => (await db.query<{ n: number }>(sql)).rows[0]!.n
  gauge('vcm_live_streams', 'Media streams (live calls) this instance serves', () => fastify.liveCalls.size)
  gauge('vcm_draining', '1 once SIGTERM has begun a drain', () => fastify.draining ? 1 : 0)
  gauge('vcm_calls_in_flight', 'Calls dialled and not ended, over all instances', async () => await count(`SELECT count(*)::int AS n FROM call WHERE ${LIVE}`))
  gauge('vcm_dials_last_minute', 'Calls dialled in the last minute, over all instances',
    async () => await count("SELECT count(*)::int AS n FROM call WHERE dialled_at > now() - interval '1 minute'"))
  gauge('vcm_calls_due', 'Queued calls whose time has come and that no instance has claimed yet',
    async () => await count("SELECT count(*)::int AS n FROM call WHERE status = 'queued' AND claimed_at IS NULL AND not_before <= now()"))
  gauge('vcm_webhook_outbox_backlog', 'Webhook deliveries due and not yet sent',
    async () => await count("SELECT count(*)::int AS n FROM webhook_delivery WHERE status = 'pending' AND next_attempt_at <= now()"))
  gauge('vcm_webhook_lag_seconds', 'How long the oldest due webhook delivery has waited',
    async () => await count(`SELECT coalesce(extract(epoch FROM now() - min(next_attempt_at)), 0)::int AS n FROM webhook_delivery
      WHERE status = 'pending' AND next_attempt_at <= now()`))
  fastify.decorate('metrics', registry)

  // Each live call's quality numbers, as it ends on this instance (lib/live-call/quality.ts).
  const seconds = (name: string, help: string) => new Histogram({
    name, help, buckets: [0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10], registers: [registry]
  })
  const firstAudio = seconds('vcm_call_first_audio_seconds', 'A stream\'s start to the assistant\'s first audio')
  const reply = seconds('vcm_call_response_delay_seconds', 'The caller stopped speaking (or pressed a key) to the assistant\'s next audio, each turn')
  const bargeIn = seconds('vcm_call_barge_in_reaction_seconds', 'The caller started speaking over the assistant to its audio being cleared')
  const model = seconds('vcm_call_model_delay_seconds', 'The AI model asked to respond to its first audio, each response')
  const underruns = new Counter({ name: 'vcm_call_underruns_total', help: 'Stutters: the assistant mid-sentence with nothing queued for over 100 ms', registers: [registry] })
  const gaps = new Counter({ name: 'vcm_call_stream_gaps_total', help: 'Gaps over 200 ms in callers\' streams', registers: [registry] })
  fastify.decorate('observeQuality', (quality: CallQuality) => {
    if (quality.first_audio_ms !== null) firstAudio.observe(quality.first_audio_ms / 1000)
    for (const ms of quality.response_delays_ms) reply.observe(ms / 1000)
    for (const ms of quality.barge_in_reactions_ms) bargeIn.observe(ms / 1000)
    for (const ms of quality.model_delays_ms) model.observe(ms / 1000)
    underruns.inc(quality.underruns)
    gaps.inc(quality.stream_gaps)
  })

  // On a port of its own (a private network's scraper), with no token.
  if (config.METRICS_PORT) {
    const server = createServer((request, response) => {
      if (request.url !== '/metrics') { response.statusCode = 404; response.end(); return }
      registry.metrics().then((text) => {
        response.setHeader('content-type', registry.contentType)
        response.end(text)
      }, (error: Error) => {
        fastify.log.warn({ err: error }, 'metrics could not be read')
        response.statusCode = 500
        response.end()
      })
    })
    fastify.addHook('onListen', async () => await new Promise<void>((resolve) => server.listen(config.METRICS_PORT, config.HOST, resolve)))
    fastify.addHook('onClose', async () => await new Promise<void>((resolve) => server.close(() => resolve())))
  }

  fastify.decorate('metricsAllowed', (authorization: string | undefined, token: string) => {
    const given = Buffer.from(/^Bearer (.+)$/.exec(authorization ?? '')?.[1] ?? '')
    const expected = Buffer.from(token)
    return given.length === expected.length && timingSafeEqual(given, expected)
  })
}, { name: 'metrics', dependencies: ['db', 'env', 'drain'] })
