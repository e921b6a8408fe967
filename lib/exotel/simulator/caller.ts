import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import WebSocket from 'ws'
import type { LifeOptions, SimulatedCall } from './call-life.js'
import type { Scheduler } from './scheduler.js'

/**
 * What a caller who answers does on the media stream, by the last digit of their number: press 1 once the bot's
 * first words have played (0, 7, 8, 9); talk over the bot, then press 1 (4); press 2 (5); stay silent (6). By the
 * last two digits, who answers: a person who presses 0 (50: asks for a person; 59: the same, and no agent answers); a person who says "hello?" first, then presses 1 (70); a voicemail (77: its greeting,
 * then a beep, then it records); a network message (87: the network's three tones, its message, and the line drops);
 * an IVR menu (97: a menu, then it waits).
 */
export interface CallerBehaviour {
  /** The key pressed once the bot's question has played (after talking over it, for one who speaks). */
  digit?: string
  /** Talks over the bot for a second as soon as it starts talking. */
  speaks?: boolean
  /** What they send from the moment they answer, before anything else; `hangUp`: the line drops after it. */
  opening?: { parts: Sound[], hangUp?: boolean }
  /** A machine answers (Exotel reports NotSure: it tells machines only where the account pays for detection). */
  machine?: true
  /** Handed to a person, no agent answers the Connect applet's ring. */
  agentAway?: true
}

/** A stretch of the caller's audio: a voice, a steady tone (a beep, the network's tones), or quiet. */
type Sound = { voice: number } | { tone: number, ms: number } | { quiet: number }

const CALLERS: Record<string, CallerBehaviour> = {
  default: { digit: '1' },
  4: { digit: '1', speaks: true },
  5: { digit: '2' },
  6: {},
  50: { digit: '0' },
  59: { digit: '0', agentAway: true },
  70: { digit: '1', opening: { parts: [{ quiet: 300 }, { voice: 500 }] } },
  77: { machine: true, opening: { parts: [{ quiet: 300 }, { voice: 2500 }, { quiet: 500 }, { tone: 1000, ms: 500 }] } },
  87: { machine: true, opening: { parts: [{ tone: 913.8, ms: 330 }, { tone: 1370.6, ms: 330 }, { tone: 1776.7, ms: 380 }, { voice: 3000 }, { quiet: 500 }], hangUp: true } },
  97: { machine: true, opening: { parts: [{ quiet: 300 }, { voice: 4000 }] } }
}

/** What the person or machine answering `number` does (see CALLERS). */
export function callerOf (number: string): CallerBehaviour {
  return CALLERS[number.slice(-2)] ?? CALLERS[number.at(-1)!] ?? CALLERS.default!
}

/**
 * `ms` of a voice-like sound as 16-bit PCM: a 140 Hz buzz with its harmonics (its power spread over them, as a
 * voice's is, so it is not taken for a beep), rising and falling four times a second like syllables.
 */
function voice (rate: number, ms: number, from = 0): Buffer {
  const samples = rate * ms / 1000
  const pcm = Buffer.alloc(samples * 2)
  for (let i = 0; i < samples; i++) {
    const t = (from + i) / rate
    let sample = 0
    for (let k = 1; k <= 15; k++) sample += Math.sin(2 * Math.PI * 140 * k * t) / k
    pcm.writeInt16LE(Math.round(4000 * (0.6 + 0.4 * Math.sin(2 * Math.PI * 4 * t)) * sample), i * 2)
  }
  return pcm
}

function tone (rate: number, hz: number, ms: number): Buffer {
  const samples = rate * ms / 1000
  const pcm = Buffer.alloc(samples * 2)
  for (let i = 0; i < samples; i++) pcm.writeInt16LE(Math.round(8000 * Math.sin(2 * Math.PI * hz * i / rate)), i * 2)
  return pcm
}

/** An opening's audio, whole, at `rate`. */
function openingAudio (rate: number, parts: Sound[]): Buffer {
  return Buffer.concat(parts.map((part) => 'voice' in part
    ? voice(rate, part.voice)
    : 'tone' in part ? tone(rate, part.tone, part.ms) : Buffer.alloc(rate * part.quiet / 1000 * 2)))
}

interface BotMessage {
  event: string
  sequence_number?: string
  media?: { payload: string, chunk?: string, timestamp?: string }
  mark?: { name: string }
}

/**
 * The media stream: the stream way's URL given when the call was placed, or the Voicebot applet's, which asks
 * `endpoint` (our /ws-url) where to stream. Connects, and plays the caller's side until the bot ends the stream or
 * the caller hangs up after `talkMs`. A failure is reported, never thrown.
 */
export async function streamCaller (call: SimulatedCall, to: { streamUrl: string } | { endpoint: string }, options: LifeOptions,
  scheduler: Scheduler): Promise<void> {
  const where = 'streamUrl' in to ? to.streamUrl : to.endpoint
  try {
    let streamUrl: string
    if ('streamUrl' in to) {
      streamUrl = to.streamUrl
    } else {
      const url = new URL(to.endpoint)
      url.searchParams.set('CallSid', call.sid)
      url.searchParams.set('CallFrom', call.from)
      url.searchParams.set('CustomField', call.customField)
      const answer = await fetch(url, { signal: AbortSignal.timeout(10_000) })
      streamUrl = (await answer.json() as { url: string }).url
    }
    const socket = new WebSocket(streamUrl)
    await once(socket, 'open')
    await new SimulatedCaller(call, socket, new URL(streamUrl).searchParams, options, scheduler).talk()
  } catch (error) {
    scheduler.reportError(where, error as Error)
  }
}

/**
 * The caller's side of one stream, as Exotel sends it: their audio in 100 ms frames (real time, or ten times
 * faster), marks answered when the bot's audio before them has played, and what the caller does: by the number's
 * last digit (see CALLERS), or as a rehearsal asks. Every frame is numbered as Exotel numbers them; the bot's are checked likewise.
 */
export class SimulatedCaller {
  readonly #streamSid = randomBytes(16).toString('hex')
  readonly #rate: number
  readonly #speed: number
  readonly #behaviour: CallerBehaviour
  #sequence = 0
  /** When the bot's audio received so far will have played, in simulated time. */
  #playhead = 0
  #spokeUntil = 0
  #received = 0
  #chunks = 0

  constructor (
    readonly call: SimulatedCall,
    readonly socket: WebSocket,
    readonly query: URLSearchParams,
    readonly options: Pick<LifeOptions, 'accountSid' | 'talkMs' | 'realtime'>,
    readonly scheduler: Scheduler,
    behaviour?: CallerBehaviour
  ) {
    this.#rate = Number(query.get('sample-rate') ?? 8000)
    this.#speed = options.realtime ? 1 : 10
    this.#behaviour = behaviour ?? callerOf(call.from)
    socket.on('message', (data) => this.#heard(JSON.parse(String(data)) as BotMessage))
  }

  /** Starts the stream, streams the caller's audio, and ends it (a `stop` with `callended`) unless the bot did. */
  async talk (): Promise<void> {
    const { call, socket, options } = this
    const closed = once(socket, 'close')
    socket.send(JSON.stringify({ event: 'connected' }))
    this.#send({
      event: 'start',
      start: {
        stream_sid: this.#streamSid,
        call_sid: call.sid,
        account_sid: options.accountSid,
        from: call.from,
        to: call.callerId,
        // Exotel passes the stream URL's query parameters on, the token among them.
        custom_parameters: Object.fromEntries(this.query),
        media_format: { encoding: 'audio/x-raw', sample_rate: String(this.#rate), bit_rate: '16' }
      }
    })
    const frameBytes = this.#rate / 10 * 2
    const silence = Buffer.alloc(frameBytes)
    const opening = this.#behaviour.opening
    const first = opening ? openingAudio(this.#rate, opening.parts) : Buffer.alloc(0)
    const talkMs = opening?.hangUp ? first.length / frameBytes * 100 : options.talkMs
    for (let chunk = 1, elapsed = 0; elapsed < talkMs; chunk++, elapsed += 100) {
      if (this.scheduler.stopped || socket.readyState !== WebSocket.OPEN) break // the simulator or the bot ended the stream
      // A caller who talks over the bot does so for a second, as soon as it starts talking.
      const speaking = this.#behaviour.speaks === true && call.bot.audioBytes > 0 && call.caller.spokeMs < 1000
      if (speaking && (call.caller.spokeMs += 100) === 1000) this.#spokeUntil = Date.now()
      const at = (chunk - 1) * frameBytes
      const audio = at < first.length ? first.subarray(at, at + frameBytes) : speaking ? voice(this.#rate, 100, at / 2) : silence
      this.#send({ event: 'media', media: { chunk: String(chunk), timestamp: String(elapsed), payload: audio.toString('base64') } })
      await new Promise((resolve) => setTimeout(resolve, 100 / this.#speed))
    }
    if (socket.readyState === WebSocket.OPEN) {
      this.#send({ event: 'stop', stop: { call_sid: call.sid, account_sid: options.accountSid, reason: 'callended' } })
      socket.close()
    }
    await closed
  }

  #send (message: object) {
    if (this.socket.readyState !== WebSocket.OPEN) return
    this.socket.send(JSON.stringify({ sequence_number: String(++this.#sequence), stream_sid: this.#streamSid, ...message }))
  }

  #press (digit: string) {
    this.call.caller.digits.push(digit)
    this.#send({ event: 'dtmf', dtmf: { digit, duration: '250' } })
  }

  /** A frame from the bot: its audio moves the playhead, a clear drops what was queued, a mark is answered when due. */
  #heard (message: BotMessage) {
    const { call } = this
    const now = Date.now()
    if (message.sequence_number !== String(++this.#received) ||
      (message.media && message.media.chunk !== String(++this.#chunks))) call.bot.misnumbered++
    if (message.event === 'media') {
      const bytes = Buffer.from(message.media!.payload, 'base64').length
      call.bot.audioBytes += bytes
      this.#playhead = Math.max(this.#playhead, now) + bytes / (this.#rate * 2) * 1000 / this.#speed
    } else if (message.event === 'clear') {
      call.bot.clears++
      this.#playhead = now // what was queued is dropped; its marks are never answered
    } else if (message.event === 'mark') {
      const clears = call.bot.clears
      const afterTalking = this.#spokeUntil > 0 && now >= this.#spokeUntil // a mark the bot sent once the caller had talked
      this.scheduler.later(Math.max(0, this.#playhead - now), async () => {
        if (call.bot.clears !== clears) return // cleared before it played
        call.bot.marks.push(message.mark!.name)
        this.#send({ event: 'mark', mark: message.mark })
        // The caller answers the bot's question once it has been asked (after speaking over it, if they do).
        const { digit, speaks } = this.#behaviour
        if (digit && call.caller.digits.length === 0 && (!speaks || afterTalking)) this.#press(digit)
      })
    }
  }
}
