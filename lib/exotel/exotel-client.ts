/**
 * Exotel's voice API as Exotel documents it (developer.exotel.com, "outgoing call to connect two numbers"):
 * form-encoded POSTs with HTTP Basic auth (API key : API token) to the account's regional subdomain, always in
 * the `.json` form.
 */
export interface ExotelOptions {
  /** `https://api.exotel.com` (Singapore), `https://api.in.exotel.com` (Mumbai), or the simulator. */
  baseUrl: string
  accountSid: string
  apiKey: string
  apiToken: string
  /** Our ExoPhone, shown to the customer. */
  callerId: string
  /** Several ExoPhones, used in turn (lib/exotel/caller-ids.ts); none: `callerId` alone. */
  callerIds?: string[]
  /** The flow way: the Exotel app (flow) that runs Passthru and Voicebot once the customer answers. */
  appId?: string
  /**
   * The stream way (no flow to build): the WebSocket URL for one call of ours (its media token inside), which
   * Exotel connects to when the customer answers. Given, calls are placed this way.
   */
  streamUrl?: (callId: string) => string
  /** How long to wait for Exotel's answer. */
  timeoutMs?: number
  /** Ask Exotel to record every call (both channels), unless a request says otherwise (EXOTEL_RECORD). */
  record?: boolean
}

export interface ConnectRequest {
  /** The customer's number, E.164. */
  to: string
  /** The ExoPhone to call from, of the pool; none: the default. */
  callerId?: string
  /** Our call id: Exotel echoes it back in the terminal StatusCallback. At most 128 characters. */
  customField: string
  /** Where Exotel POSTs the call's answered and terminal events. */
  statusCallback: string
  /** Longest the call may last, in seconds (Exotel's cap: 14400). */
  timeLimit?: number
  /** How long the customer's phone rings, in seconds (at most 60). */
  ringTimeout?: number
  record?: boolean
}

/** Exotel's view of a call (the `Call` object of its answers), as far as we use it. */
export interface ExotelCall {
  sid: string
  status: string
  startTime: string | null
  endTime: string | null
  duration: number | null
  recordingUrl: string | null
}

/**
 * A failed Exotel request, with the status our API answers and whether the call may nevertheless have been
 * placed (a timeout or a broken connection during a connect): such a call must be looked up, never re-dialled.
 */
export class ExotelError extends Error {
  constructor (
    readonly statusCode: number,
    message: string,
    readonly outcomeUnknown = false,
    readonly exotelStatus?: number
  ) {
    super(message)
    this.name = 'ExotelError'
  }

  readonly expose = true
}

interface ExotelCallJson {
  Sid: string
  Status: string
  StartTime?: string | null
  EndTime?: string | null
  Duration?: string | number | null
  RecordingUrl?: string | null
}

/** The longest StreamUrl Exotel takes. */
const STREAM_URL_MAX = 600

export class ExotelClient {
  readonly #options: ExotelOptions
  readonly #authorization: string

  constructor (options: ExotelOptions) {
    this.#options = options
    this.#authorization = `Basic ${Buffer.from(`${options.apiKey}:${options.apiToken}`).toString('base64')}`
  }

  /** The ExoPhones calls are placed from. */
  get callerIds (): string[] {
    return this.#options.callerIds?.length ? this.#options.callerIds : [this.#options.callerId]
  }

  /** The ExoML URL of our flow, which Exotel runs when the customer answers. */
  get flowUrl (): string {
    return `http://my.exotel.com/${this.#options.accountSid}/exoml/start_voice/${this.#options.appId}`
  }

  /**
   * Dials the customer and connects them to our flow. Never retried here: Exotel may have dialled even when
   * the answer is lost (then the error says `outcomeUnknown`).
   */
  async connect (request: ConnectRequest): Promise<ExotelCall> {
    const form = new URLSearchParams({
      From: request.to,
      CallerId: request.callerId ?? this.#options.callerId,
      ...this.#answered(request.customField),
      CallType: 'trans',
      TimeLimit: String(request.timeLimit ?? 1800),
      TimeOut: String(request.ringTimeout ?? 30),
      CustomField: request.customField,
      StatusCallback: request.statusCallback,
      'StatusCallbackEvents[0]': 'terminal',
      'StatusCallbackEvents[1]': 'answered',
      StatusCallbackContentType: 'application/json'
    })
    if (request.record ?? this.#options.record) {
      form.set('Record', 'true')
      form.set('RecordingChannels', 'dual')
    }
    const body = await this.#request('POST', 'Calls/connect.json', form, true)
    return toCall(body)
  }

  /** Where the answered call goes: straight onto our media stream (StreamUrl), or into our flow (Url). */
  #answered (callId: string): Record<string, string> {
    if (!this.#options.streamUrl) return { Url: this.flowUrl }
    const url = this.#options.streamUrl(callId)
    if (url.length > STREAM_URL_MAX) {
      throw new ExotelError(500, `The stream URL is ${url.length} characters, more than Exotel's ${STREAM_URL_MAX}: shorten PUBLIC_BASE_URL`)
    }
    return { StreamUrl: url, StreamType: 'bidirectional' }
  }

  /**
   * Exotel's record of a call: what to ask when a callback is late. A lookup dials no one, so one that fails for
   * want of an answer (network, timeout, 5xx) is asked once more; a refusal (4xx) is not.
   */
  async callDetails (sid: string): Promise<ExotelCall> {
    const lookup = async () => toCall(await this.#request('GET', `Calls/${encodeURIComponent(sid)}.json`))
    try {
      return await lookup()
    } catch (error) {
      const status = (error as ExotelError).exotelStatus
      if (status !== undefined && status < 500) throw error
      await new Promise((resolve) => setTimeout(resolve, 250))
      return await lookup()
    }
  }

  async #request (method: 'GET' | 'POST', path: string, form?: URLSearchParams, dials = false): Promise<unknown> {
    const url = `${this.#options.baseUrl}/v1/Accounts/${encodeURIComponent(this.#options.accountSid)}/${path}`
    let response: Response
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: this.#authorization,
          accept: 'application/json',
          ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {})
        },
        body: form?.toString(),
        signal: AbortSignal.timeout(this.#options.timeoutMs ?? 10_000)
      })
    } catch (error) {
      const timedOut = (error as Error).name === 'TimeoutError'
      throw new ExotelError(timedOut ? 504 : 502, dials
        ? 'Exotel did not answer; the call may have been placed, so it is not retried'
        : `Exotel is unreachable (${timedOut ? 'timed out' : (error as Error).message})`, dials)
    }
    const text = await response.text()
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      body = undefined
    }
    if (response.ok && body !== undefined) return body
    throw exotelError(response.status, body, dials)
  }
}

function exotelError (status: number, body: unknown, dials: boolean): ExotelError {
  const message = (body as { RestException?: { Message?: string } } | undefined)?.RestException?.Message
  const detail = message ? `: ${message}` : ''
  if (status === 401) return new ExotelError(502, `Exotel refused our API credentials${detail}`, false, status)
  if (status === 403) {
    return new ExotelError(502, `Exotel refused the call; the account may need KYC verification (TRAI rules)${detail}`,
      false, status)
  }
  if (status === 429) return new ExotelError(429, 'Exotel rate limit reached (about 200 calls a minute); try again shortly', false, status)
  if (status >= 400 && status < 500) return new ExotelError(502, `Exotel refused the request (${status})${detail}`, false, status)
  // A 5xx, or a 2xx we cannot read: Exotel may have acted on it.
  return new ExotelError(502, `Exotel failed (${status})${detail}`, dials, status)
}

function toCall (body: unknown): ExotelCall {
  const call = (body as { Call?: ExotelCallJson }).Call
  if (!call?.Sid) throw new ExotelError(502, 'Exotel answered without a call')
  const duration = Number.parseInt(String(call.Duration ?? ''), 10) // Exotel sends numbers as text, or nothing
  return {
    sid: call.Sid,
    status: call.Status,
    startTime: call.StartTime ?? null,
    endTime: call.EndTime ?? null,
    duration: Number.isNaN(duration) ? null : duration,
    recordingUrl: call.RecordingUrl ?? null
  }
}
