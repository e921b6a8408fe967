import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { ExotelClient, ExotelError } from '../../lib/exotel/exotel-client.js'
import { MediaTokens } from '../../lib/live-call/media-token.js'
import { startExotelSimulator, type ExotelSimulator } from '../../lib/exotel/simulator.js'
import { redactUrl } from '../../lib/server/log-options.js'
import { readCallerIds } from '../../lib/exotel/caller-ids.js'

export interface Telephony {
  /** `exotel`: real calls; `simulator`: the local stand-in; `none`: production without Exotel (calls answer 503). */
  mode: 'exotel' | 'simulator' | 'none'
  exotel: ExotelClient
  /** The local Exotel stand-in, in simulator mode. */
  simulator?: ExotelSimulator
  /** Where Exotel reaches us: PUBLIC_BASE_URL, else this server on the loopback interface. */
  publicBaseUrl (): string
  /** The URL Exotel posts a call's status to, carrying the webhook token. */
  statusCallbackUrl (): string
  /** Whether a request's token is the webhook token (compared in constant time). */
  isWebhookToken (token: unknown): boolean
  /** onRequest hook for the URLs Exotel calls: 401 without the webhook token in `?token=`. */
  requireWebhookToken (request: FastifyRequest, reply: FastifyReply): Promise<void>
  /** Tokens that let one media stream connect for one call (see /ws-url). */
  mediaTokens: MediaTokens
  /** How answered calls reach the media stream: straight (Calls/connect with a StreamUrl) or through our flow. */
  callMode: 'stream' | 'flow'
  /** The WebSocket URL one call of ours streams to, its token inside (what /ws-url answers, made ahead). */
  streamUrl (callId: string): string
}

/**
 * A stream-way token is made when the call is placed and used when the customer answers: after Exotel's queue
 * and the ringing (at most a minute), well within this.
 */
const STREAM_TOKEN_MS = 5 * 60_000

declare module 'fastify' {
  interface FastifyInstance {
    telephony: Telephony
  }
}

/**
 * Telephony in one of three modes, as Cognito: Exotel with EXOTEL_API_KEY and its companions (which the config
 * plugin requires); with no key outside
 * production, the Exotel simulator on a loopback port, playing calls against this server; in production with no
 * key, none.
 */
export default fp(async function telephony (fastify) {
  const config = fastify.config
  const publicBaseUrl = () => {
    if (config.PUBLIC_BASE_URL) return config.PUBLIC_BASE_URL
    // Enough for the simulator, which runs beside us; Exotel itself needs PUBLIC_BASE_URL.
    const address = fastify.server.address() as AddressInfo | null
    if (!address) throw new Error('PUBLIC_BASE_URL is not set and the server is not listening')
    return `http://127.0.0.1:${address.port}`
  }

  const callMode = config.EXOTEL_CALL_MODE ?? (config.EXOTEL_APP_ID ? 'flow' : 'stream')
  // (Called once calls are placed, when the tokens below exist.)
  function streamUrl (callId: string) {
    const url = new URL(`${publicBaseUrl().replace(/^http/, 'ws')}/media`)
    url.searchParams.set('token', mediaTokens.issue(callId, undefined, Date.now(), STREAM_TOKEN_MS))
    url.searchParams.set('sample-rate', '8000')
    return url.toString()
  }
  const answered = callMode === 'stream' ? { streamUrl } : {}
  // (Checked by the config plugin: every number is in E.164.)
  const callerIds = config.EXOTEL_CALLER_IDS ? (readCallerIds(config.EXOTEL_CALLER_IDS) as { numbers: string[] }).numbers : undefined
  let mode: Telephony['mode']
  let token: string
  let exotel: ExotelClient
  let simulator: ExotelSimulator | undefined
  if (config.EXOTEL_API_KEY) {
    mode = 'exotel'
    token = config.EXOTEL_WEBHOOK_TOKEN!
    exotel = new ExotelClient({
      baseUrl: `https://${config.EXOTEL_SUBDOMAIN}`,
      accountSid: config.EXOTEL_ACCOUNT_SID!,
      apiKey: config.EXOTEL_API_KEY,
      apiToken: config.EXOTEL_API_TOKEN!,
      callerId: config.EXOTEL_CALLER_ID ?? callerIds![0]!, // (one of the two is required with the key)
      appId: config.EXOTEL_APP_ID,
      callerIds,
      ...answered,
      record: config.EXOTEL_RECORD
    })
  } else if (config.NODE_ENV === 'production') {
    fastify.log.warn('EXOTEL_API_KEY is not set: calls cannot be placed and answer 503')
    mode = 'none'
    token = randomBytes(24).toString('base64url')
    exotel = new Proxy({}, {
      get: () => async () => { throw new ExotelError(503, 'Exotel not configured') }
    }) as ExotelClient
  } else {
    mode = 'simulator'
    token = config.EXOTEL_WEBHOOK_TOKEN ?? randomBytes(24).toString('base64url')
    const credentials = { accountSid: 'simulated', apiKey: randomBytes(12).toString('hex'), apiToken: randomBytes(16).toString('hex') }
    simulator = await startExotelSimulator({
      ...credentials,
      passthruUrl: () => `${publicBaseUrl()}/passthru-handler?token=${token}`,
      voicebotUrl: () => `${publicBaseUrl()}/ws-url?token=${token}`,
      agentUrl: () => `${publicBaseUrl()}/handoff-agent?token=${token}`,
      ringMs: config.EXOTEL_SIMULATOR_RING_MS,
      talkMs: config.EXOTEL_SIMULATOR_TALK_MS,
      realtime: config.EXOTEL_SIMULATOR_REALTIME,
      loseCallbacks: config.EXOTEL_SIMULATOR_LOSE_CALLBACKS,
      onDeliveryError: (url, error) => fastify.log.warn({ url: redactUrl(url), err: error }, 'Exotel simulator: a request to us failed')
    })
    exotel = new ExotelClient({ ...credentials, baseUrl: simulator.baseUrl, callerId: '+918000000000', callerIds, appId: '100001', ...answered, record: config.EXOTEL_RECORD })
    fastify.addHook('onClose', () => simulator!.stop())
    fastify.log.info({ baseUrl: simulator.baseUrl }, 'Exotel simulator started: calls are simulated')
  }

  const mediaTokens = new MediaTokens(token)
  const expected = Buffer.from(token)
  const isWebhookToken = (candidate: unknown) => {
    const given = Buffer.from(typeof candidate === 'string' ? candidate : '')
    return given.length === expected.length && timingSafeEqual(given, expected)
  }
  fastify.decorate('telephony', {
    mode,
    exotel,
    simulator,
    publicBaseUrl,
    statusCallbackUrl: () => `${publicBaseUrl()}/exotel-webhook?token=${token}`,
    isWebhookToken,
    async requireWebhookToken (request, reply) {
      if (!isWebhookToken((request.query as { token?: unknown }).token)) {
        throw fastify.httpErrors.unauthorized('Missing or wrong webhook token')
      }
    },
    mediaTokens,
    callMode,
    streamUrl
  } satisfies Telephony)
}, { name: 'telephony', dependencies: ['env', 'sensible'] })
