import { randomBytes, timingSafeEqual } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { callJson, playCall, type LifeOptions, type SimulatedCall } from './simulator/call-life.js'
import { Scheduler } from './simulator/scheduler.js'

export { exotelTime, type SimulatedCall } from './simulator/call-life.js'

/**
 * A stand-in for Exotel's voice API on a loopback port, for development and tests without an Exotel account.
 * It speaks the API as Exotel documents it (Basic auth, form-encoded `Calls/connect.json`, `Calls/<Sid>.json`,
 * `RestException` errors, 429 past 200 connects a minute) and plays each call's life against our endpoints:
 * the answered StatusCallback and the flow's Passthru GET when the customer picks up, then the terminal
 * StatusCallback, in Exotel's field names and formats (JSON when asked, multipart form data by default).
 *
 * This file is the HTTP API; a call's life (ring, answer, callbacks) is simulator/call-life.ts, and the caller on
 * the media stream (their audio, keys pressed, talking over the bot) simulator/caller.ts. What happens to a call
 * depends on the last digit of the number dialled: 1 busy, 2 no-answer, 3 failed, anything else answered; a number
 * ending in 403 is refused at once, as Exotel refuses an account whose KYC is not done.
 */
export interface SimulatorOptions {
  accountSid: string
  apiKey: string
  apiToken: string
  /** Our Passthru URL, called when a customer answers (the flow's first applet). Asked at that moment. */
  passthruUrl: () => string
  /** Our Voicebot URL (/ws-url), the flow's next applet; none: no media stream. */
  voicebotUrl?: () => string
  /** The flow's Connect applet's "Dial whom" URL (our /handoff-agent), for hand-offs. */
  agentUrl?: () => string
  /** How long a phone rings before it is answered or the call fails. */
  ringMs?: number
  /** How long an answered call lasts (with a media stream: the longest the caller stays on). */
  talkMs?: number
  /** The share of final StatusCallbacks never sent (0 to 1), as Exotel warns can happen: the call details still tell. */
  loseCallbacks?: number
  /** Stream the caller's audio in real time (default), or ten times faster (tests). */
  realtime?: boolean
  /** Told of every request the simulator could not deliver to us. */
  onDeliveryError?: (url: string, error: Error) => void
}

export interface ExotelSimulator {
  baseUrl: string
  /** Every call placed, by Sid. */
  calls: Map<string, SimulatedCall>
  stop (): Promise<void>
}

const RATE_LIMIT = 200

export async function startExotelSimulator (options: SimulatorOptions): Promise<ExotelSimulator> {
  const calls = new Map<string, SimulatedCall>()
  const scheduler = new Scheduler(options.onDeliveryError)
  let recentConnects: number[] = []
  const expected = Buffer.from(`Basic ${Buffer.from(`${options.apiKey}:${options.apiToken}`).toString('base64')}`)
  const life: LifeOptions = {
    accountSid: options.accountSid,
    passthruUrl: options.passthruUrl,
    voicebotUrl: options.voicebotUrl,
    agentUrl: options.agentUrl,
    ringMs: options.ringMs ?? 2000,
    talkMs: options.talkMs ?? 60_000,
    loseCallbacks: options.loseCallbacks ?? 0,
    realtime: options.realtime ?? true
  }

  async function connect (request: IncomingMessage, response: ServerResponse) {
    if (!String(request.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
      return restException(response, 400, 'Content-Type must be application/x-www-form-urlencoded')
    }
    const form = new URLSearchParams(await readBody(request))
    const now = Date.now()
    recentConnects = recentConnects.filter((time) => time > now - 60_000)
    if (recentConnects.length >= RATE_LIMIT) return restException(response, 429, 'Too many requests')
    recentConnects.push(now)

    const call = callFromForm(form)
    if (typeof call === 'string') return restException(response, 400, call)
    // An account Exotel will not let call until its KYC is done (TRAI rules): a number ending in 403 plays it.
    if (call.from.endsWith('403')) return restException(response, 403, 'Calls cannot be placed until the account\'s KYC is verified')
    calls.set(call.sid, call)
    playCall(call, life, scheduler)
    json(response, 200, { Call: callJson(call, options.accountSid) })
  }

  const server = createServer((request, response) => {
    const authorization = Buffer.from(request.headers.authorization ?? '')
    if (authorization.length !== expected.length || !timingSafeEqual(authorization, expected)) {
      return restException(response, 401, 'Authentication is required to view this page.')
    }
    const { pathname } = new URL(request.url!, 'http://simulator')
    const prefix = `/v1/Accounts/${options.accountSid}/Calls/`
    if (request.method === 'POST' && pathname === `${prefix}connect.json`) {
      connect(request, response).catch(() => restException(response, 500, 'Internal error'))
      return
    }
    const details = request.method === 'GET' && pathname.startsWith(prefix) && pathname.endsWith('.json')
      ? calls.get(decodeURIComponent(pathname.slice(prefix.length, -'.json'.length)))
      : undefined
    if (details) return json(response, 200, { Call: callJson(details, options.accountSid) })
    return restException(response, 404, 'The requested resource was not found')
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    calls,
    async stop () {
      await scheduler.stop()
      server.closeAllConnections()
      server.close()
      await once(server, 'close')
    }
  }
}

/** A new call from `Calls/connect`'s form, checked as Exotel checks it, or what is wrong with the form. */
function callFromForm (form: URLSearchParams): SimulatedCall | string {
  const from = form.get('From') ?? ''
  const streamUrl = form.get('StreamUrl') ?? undefined
  const problem = formProblem(form, from, streamUrl)
  return problem ?? callOf(form, from, streamUrl)
}

/** A caller number ending in 99 is not one of the simulated account's ExoPhones. */
function formProblem (form: URLSearchParams, from: string, streamUrl: string | undefined): string | undefined {
  if (!/^\+?\d{8,15}$/.test(from.replace(/[\s-]/g, ''))) return 'From must be a phone number'
  const callerId = form.get('CallerId')
  if (!callerId) return 'CallerId is required'
  if (callerId.endsWith('99')) return `CallerId ${callerId} is not an ExoPhone of this account`
  if (streamUrl !== undefined) return streamProblem(streamUrl, form.get('StreamType'))
  if (!/^http:\/\/my\.exotel\.com\/[^/]+\/exoml\/start_voice\/\d+$/.test(form.get('Url') ?? '')) {
    return 'Url (http://my.exotel.com/<account_sid>/exoml/start_voice/<app_id>) or StreamUrl is required'
  }
  return undefined
}

/** What is wrong with the stream way's fields (Exotel's AgentStream guide), if anything. */
function streamProblem (streamUrl: string, type: string | null): string | undefined {
  if (!/^wss?:\/\/[^/\s]+/.test(streamUrl)) return 'StreamUrl must be a ws:// or wss:// URL'
  if (streamUrl.length > 600) return 'StreamUrl is longer than 600 characters'
  if (type !== 'bidirectional' && type !== 'unidirectional') return 'StreamType must be bidirectional or unidirectional'
  return undefined
}

function callOf (form: URLSearchParams, from: string, streamUrl: string | undefined): SimulatedCall | string {
  const problem = (form.get('CustomField') ?? '').length > 128
    ? 'CustomField is longer than 128 characters'
    : form.get('StatusCallback') && !URL.canParse(form.get('StatusCallback')!)
      ? 'StatusCallback must be a URL'
      : undefined
  if (problem) return problem
  const events = [...form.entries()].filter(([key]) => key.startsWith('StatusCallbackEvents')).map(([, value]) => value)
  return {
    sid: randomBytes(16).toString('hex'),
    from,
    callerId: form.get('CallerId')!,
    customField: form.get('CustomField') ?? '',
    statusCallback: form.get('StatusCallback') ?? '',
    events: form.get('StatusCallback') ? (events.length > 0 ? events : ['terminal']) : [],
    contentType: form.get('StatusCallbackContentType') ?? 'multipart/form-data',
    record: form.get('Record') === 'true',
    streamUrl,
    status: 'in-progress',
    bot: { audioBytes: 0, marks: [], clears: 0, misnumbered: 0 },
    caller: { digits: [], spokeMs: 0 },
    startTime: new Date()
  }
}

async function readBody (request: IncomingMessage): Promise<string> {
  let body = ''
  for await (const chunk of request) body += chunk
  return body
}

function json (response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
}

function restException (response: ServerResponse, status: number, message: string) {
  json(response, status, { RestException: { Status: status, Message: message } })
}
