import { randomBytes, timingSafeEqual } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import WebSocket from 'ws'

/**
 * A stand-in for Exotel's voice API on a loopback port, for development and tests without an Exotel account.
 * It speaks the API as Exotel documents it (Basic auth, form-encoded `Calls/connect.json`, `Calls/<Sid>.json`,
 * `RestException` errors, 429 past 200 connects a minute) and plays each call's life against our endpoints:
 * the answered StatusCallback and the flow's Passthru GET when the customer picks up, then the terminal
 * StatusCallback, in Exotel's field names and formats (JSON when asked, multipart form data by default).
 *
 * What happens to a call depends on the last digit of the number dialled:
 * 1 busy, 2 no-answer, 3 failed, anything else answered, then completed after `talkMs`. With `voicebotUrl`, an
 * answered call also runs the Voicebot applet: it asks that URL where to stream, connects, and plays the caller's
 * side (CALLERS: their audio, keys pressed, talking over the bot) until the bot ends the stream or `talkMs` passes.
 */
export interface SimulatorOptions {
  accountSid: string
  apiKey: string
  apiToken: string
  /** Our Passthru URL, called when a customer answers (the flow's first applet). Asked at that moment. */
  passthruUrl: () => string
  /** Our Voicebot URL (/ws-url), the flow's next applet; none: no media stream. */
  voicebotUrl?: () => string
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

export interface SimulatedCall {
  sid: string
  from: string
  callerId: string
  customField: string
  statusCallback: string
  events: string[]
  contentType: string
  record: boolean
  status: 'in-progress' | 'completed' | 'busy' | 'no-answer' | 'failed'
  /** What the voice assistant sent on the media stream; `misnumbered`: frames whose numbers did not count up as Exotel's do. */
  bot: { audioBytes: number, marks: string[], clears: number, misnumbered: number }
  /** What the simulated caller did on the media stream. */
  caller: { digits: string[], spokeMs: number }
  startTime: Date
  answerTime?: Date
  endTime?: Date
}

export interface ExotelSimulator {
  baseUrl: string
  /** Every call placed, by Sid. */
  calls: Map<string, SimulatedCall>
  stop (): Promise<void>
}

const RATE_LIMIT = 200
const OUTCOMES: Record<string, SimulatedCall['status']> = { 1: 'busy', 2: 'no-answer', 3: 'failed' }

/**
 * What a caller who answers does on the media stream, by the last digit of their number: press 1 once the bot's
 * first words have played (0, 7, 8, 9); talk over the bot, then press 1 (4); press 2 (5); stay silent (6).
 */
const CALLERS: Record<string, { digit?: string, speaks?: boolean }> = {
  default: { digit: '1' },
  4: { digit: '1', speaks: true },
  5: { digit: '2' },
  6: {}
}

/** `ms` of a 440 Hz tone, loud as a voice, as 16-bit PCM: the caller talking. */
function tone (rate: number, ms: number): Buffer {
  const samples = rate * ms / 1000
  const pcm = Buffer.alloc(samples * 2)
  for (let i = 0; i < samples; i++) pcm.writeInt16LE(Math.round(6000 * Math.sin(2 * Math.PI * 440 * i / rate)), i * 2)
  return pcm
}

export async function startExotelSimulator (options: SimulatorOptions): Promise<ExotelSimulator> {
  const calls = new Map<string, SimulatedCall>()
  const timers = new Set<NodeJS.Timeout>()
  const deliveries = new Set<Promise<void>>()
  let recentConnects: number[] = []
  const expected = Buffer.from(`Basic ${Buffer.from(`${options.apiKey}:${options.apiToken}`).toString('base64')}`)
  const ringMs = options.ringMs ?? 2000
  const talkMs = options.talkMs ?? 60_000
  let stopped = false

  const later = (ms: number, work: () => Promise<void>) => {
    if (stopped) return // a call in flight when the simulator stopped goes no further
    const timer = setTimeout(() => {
      timers.delete(timer)
      const delivery = work().catch((error: Error) => options.onDeliveryError?.('', error))
        .finally(() => deliveries.delete(delivery))
      deliveries.add(delivery)
    }, ms)
    timers.add(timer)
  }

  async function deliver (url: string, init: RequestInit) {
    try {
      await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) })
    } catch (error) {
      options.onDeliveryError?.(url, error as Error)
    }
  }

  function callback (call: SimulatedCall, eventType: 'answered' | 'terminal') {
    if (!call.events.includes(eventType)) return
    if (eventType === 'terminal' && Math.random() < (options.loseCallbacks ?? 0)) return
    const fields: Record<string, string> = {
      CallSid: call.sid,
      EventType: eventType,
      Status: eventType === 'answered' ? 'in-progress' : call.status,
      DateCreated: exotelTime(call.startTime),
      DateUpdated: exotelTime(new Date()),
      To: call.callerId,
      From: call.from,
      PhoneNumberSid: call.callerId,
      StartTime: exotelTime(call.startTime),
      EndTime: call.endTime ? exotelTime(call.endTime) : '',
      ConversationDuration: String(conversationSeconds(call)),
      Direction: 'outbound-api',
      CustomField: call.customField,
      RecordingUrl: call.record && call.status === 'completed'
        ? `https://recordings.exotel.com/exotelrecordings/simulated/${call.sid}.mp3`
        : ''
    }
    const leg = {
      OnCallDuration: String(conversationSeconds(call)),
      Status: eventType === 'answered' ? 'in-progress' : call.status,
      AnsweredBy: call.answerTime ? 'Human' : 'NA'
    }
    if (call.contentType === 'application/json') {
      return deliver(call.statusCallback, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...fields, Legs: [leg] })
      })
    }
    const form = new FormData()
    for (const [key, value] of Object.entries(fields)) form.set(key, value)
    for (const [key, value] of Object.entries(leg)) form.set(`Legs[0][${key}]`, value)
    return deliver(call.statusCallback, { method: 'POST', body: form })
  }

  function passthru (call: SimulatedCall) {
    const url = new URL(options.passthruUrl())
    const query = {
      CallSid: call.sid,
      CallFrom: call.from,
      CallTo: call.callerId,
      Direction: 'outbound-api',
      Created: exotelTime(call.startTime),
      StartTime: exotelTime(call.startTime),
      EndTime: '1970-01-01 05:30:00', // Exotel's placeholder while the call goes on
      CallType: 'call-attempt',
      CallStatus: 'in-progress',
      DialWhomNumber: '',
      CustomField: call.customField,
      flow_id: '100001',
      tenant_id: '1',
      digits: ''
    }
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value)
    return deliver(url.toString(), { method: 'GET' })
  }

  function play (call: SimulatedCall) {
    const outcome = OUTCOMES[call.from.at(-1)!]
    if (outcome) {
      later(ringMs, async () => {
        call.status = outcome
        call.endTime = new Date()
        await callback(call, 'terminal')
      })
      return
    }
    later(ringMs, async () => {
      call.answerTime = new Date()
      await callback(call, 'answered')
      await passthru(call)
      if (options.voicebotUrl) await voicebot(call, options.voicebotUrl())
      later(options.voicebotUrl ? 0 : talkMs, async () => {
        call.status = 'completed'
        call.endTime = new Date()
        await callback(call, 'terminal')
      })
    })
  }

  /**
   * The Voicebot applet: asks where to stream, then plays the caller's side: their audio in 100 ms frames (real
   * time, or ten times faster), marks answered when the bot's audio before them has played, and what the caller
   * does by the number's last digit (see CALLERS). Ends when the bot closes the stream, or when the caller hangs up
   * after `talkMs` (a `stop` with `callended`).
   */
  async function voicebot (call: SimulatedCall, endpoint: string) {
    try {
      const url = new URL(endpoint)
      url.searchParams.set('CallSid', call.sid)
      url.searchParams.set('CallFrom', call.from)
      url.searchParams.set('CustomField', call.customField)
      const answer = await fetch(url, { signal: AbortSignal.timeout(10_000) })
      const { url: streamUrl } = await answer.json() as { url: string }
      const socket = new WebSocket(streamUrl)
      await once(socket, 'open')
      const query = new URL(streamUrl).searchParams
      const rate = Number(query.get('sample-rate') ?? 8000)
      const speed = options.realtime === false ? 10 : 1
      const caller = CALLERS[call.from.at(-1)!] ?? CALLERS.default!
      const streamSid = randomBytes(16).toString('hex')
      let sequence = 0
      const send = (message: object) => {
        if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ sequence_number: String(++sequence), stream_sid: streamSid, ...message }))
      }
      // When the bot's audio received so far will have played, in simulated time.
      let playhead = 0
      let spokeUntil = 0
      const press = (digit: string) => {
        call.caller.digits.push(digit)
        send({ event: 'dtmf', dtmf: { digit, duration: '250' } })
      }
      let received = 0
      let chunks = 0
      socket.on('message', (data) => {
        const message = JSON.parse(String(data)) as {
          event: string, sequence_number?: string, media?: { payload: string, chunk?: string, timestamp?: string }, mark?: { name: string }
        }
        const now = Date.now()
        if (message.sequence_number !== String(++received) ||
          (message.media && message.media.chunk !== String(++chunks))) call.bot.misnumbered++
        if (message.event === 'media') {
          const bytes = Buffer.from(message.media!.payload, 'base64').length
          call.bot.audioBytes += bytes
          playhead = Math.max(playhead, now) + bytes / (rate * 2) * 1000 / speed
        } else if (message.event === 'clear') {
          call.bot.clears++
          playhead = now // what was queued is dropped; its marks are never answered
        } else if (message.event === 'mark') {
          const due = playhead
          const clears = call.bot.clears
          const afterTalking = spokeUntil > 0 && now >= spokeUntil // a mark the bot sent once the caller had talked
          later(Math.max(0, due - now), async () => {
            if (call.bot.clears !== clears) return // cleared before it played
            call.bot.marks.push(message.mark!.name)
            send({ event: 'mark', mark: message.mark })
            // The caller answers the bot's question once it has been asked (after speaking over it, if they do).
            if (caller.digit && call.caller.digits.length === 0 && (!caller.speaks || afterTalking)) press(caller.digit)
          })
        }
      })
      const closed = once(socket, 'close')
      socket.send(JSON.stringify({ event: 'connected' }))
      // Exotel passes the stream URL's query parameters on, the token among them.
      const custom = Object.fromEntries(query)
      send({
        event: 'start',
        start: {
          stream_sid: streamSid,
          call_sid: call.sid,
          account_sid: options.accountSid,
          from: call.from,
          to: call.callerId,
          custom_parameters: custom,
          media_format: { encoding: 'audio/x-raw', sample_rate: String(rate), bit_rate: '16' }
        }
      })
      const silence = Buffer.alloc(rate / 10 * 2)
      const voice = tone(rate, 100)
      for (let chunk = 1, elapsed = 0; elapsed < talkMs; chunk++, elapsed += 100) {
        if (stopped || socket.readyState !== WebSocket.OPEN) break // the simulator or the bot ended the stream
        // A caller who talks over the bot does so for a second, as soon as it starts talking.
        const speaking = caller.speaks === true && call.bot.audioBytes > 0 && call.caller.spokeMs < 1000
        if (speaking && (call.caller.spokeMs += 100) === 1000) spokeUntil = Date.now()
        send({ event: 'media', media: { chunk: String(chunk), timestamp: String(elapsed), payload: (speaking ? voice : silence).toString('base64') } })
        await new Promise((resolve) => setTimeout(resolve, 100 / speed))
      }
      if (socket.readyState === WebSocket.OPEN) {
        send({ event: 'stop', stop: { call_sid: call.sid, account_sid: options.accountSid, reason: 'callended' } })
        socket.close()
      }
      await closed
    } catch (error) {
      options.onDeliveryError?.(endpoint, error as Error)
    }
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

    const from = form.get('From') ?? ''
    const problem = !/^\+?\d{8,15}$/.test(from.replace(/[\s-]/g, ''))
      ? 'From must be a phone number'
      : !form.get('CallerId')
          ? 'CallerId is required'
          : !/^http:\/\/my\.exotel\.com\/[^/]+\/exoml\/start_voice\/\d+$/.test(form.get('Url') ?? '')
              ? 'Url must be http://my.exotel.com/<account_sid>/exoml/start_voice/<app_id>'
              : (form.get('CustomField') ?? '').length > 128
                  ? 'CustomField is longer than 128 characters'
                  : form.get('StatusCallback') && !URL.canParse(form.get('StatusCallback')!)
                    ? 'StatusCallback must be a URL'
                    : undefined
    if (problem) return restException(response, 400, problem)

    const events = [...form.entries()].filter(([key]) => key.startsWith('StatusCallbackEvents')).map(([, value]) => value)
    const call: SimulatedCall = {
      sid: randomBytes(16).toString('hex'),
      from,
      callerId: form.get('CallerId')!,
      customField: form.get('CustomField') ?? '',
      statusCallback: form.get('StatusCallback') ?? '',
      events: form.get('StatusCallback') ? (events.length > 0 ? events : ['terminal']) : [],
      contentType: form.get('StatusCallbackContentType') ?? 'multipart/form-data',
      record: form.get('Record') === 'true',
      status: 'in-progress',
      bot: { audioBytes: 0, marks: [], clears: 0, misnumbered: 0 },
      caller: { digits: [], spokeMs: 0 },
      startTime: new Date()
    }
    calls.set(call.sid, call)
    play(call)
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
      stopped = true
      for (const timer of timers) clearTimeout(timer)
      await Promise.all(deliveries)
      server.closeAllConnections()
      server.close()
      await once(server, 'close')
    }
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

function conversationSeconds (call: SimulatedCall): number {
  return call.answerTime && call.endTime ? Math.round((call.endTime.getTime() - call.answerTime.getTime()) / 1000) : 0
}

function callJson (call: SimulatedCall, accountSid: string) {
  return {
    Sid: call.sid,
    ParentCallSid: null,
    DateCreated: exotelTime(call.startTime),
    DateUpdated: exotelTime(new Date()),
    AccountSid: accountSid,
    To: call.from,
    From: call.callerId,
    PhoneNumberSid: call.callerId,
    Status: call.status,
    StartTime: exotelTime(call.startTime),
    EndTime: call.endTime ? exotelTime(call.endTime) : null,
    Duration: call.endTime ? String(conversationSeconds(call)) : null,
    Price: null,
    Direction: 'outbound-api',
    AnsweredBy: null,
    ForwardedFrom: null,
    CallerName: null,
    Uri: `/v1/Accounts/${accountSid}/Calls/${call.sid}.json`,
    RecordingUrl: null
  }
}

/** Exotel's time format: `YYYY-MM-DD HH:mm:ss` in India Standard Time. */
export function exotelTime (date: Date): string {
  return new Date(date.getTime() + 5.5 * 3600_000).toISOString().slice(0, 19).replace('T', ' ')
}
