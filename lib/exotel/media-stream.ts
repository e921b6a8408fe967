import type { FrameWriter, StreamEvent, StreamProtocol } from '../live-call/stream-protocol.js'
import { bytesPerSecond, type MediaFormat } from '../voice/format.js'

/**
 * Exotel's Voicebot WebSocket protocol (docs/exotel.md), both ways: incoming text frames read into typed events,
 * tolerant as real senders need (`stream_sid` or `streamSid`, numbers as strings), and outgoing `media`, `mark`
 * and `clear` frames built, with audio cut into chunks Exotel accepts.
 */

type Json = Record<string, unknown>

const object = (value: unknown): Json => typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Json : {}

function text (source: Json, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = source[name]
    if (typeof value === 'string' && value !== '') return value
    if (typeof value === 'number') return String(value)
  }
  return undefined
}

function number (source: Json, name: string): number | undefined {
  const value = Number.parseFloat(text(source, name) ?? '')
  return Number.isFinite(value) ? value : undefined
}

/**
 * `start.media_format`, read leniently. The rate an encoding carries (`audio/L16;rate=16000`) is the audio's own;
 * else the sample rate we asked for in the URL is the truth when `sample_rate` differs.
 */
export function readMediaFormat (format: Json, askedRate?: number): MediaFormat {
  const stated = text(format, 'encoding') ?? ''
  const encoding = /ulaw|mulaw|pcmu/i.test(stated) ? 'mulaw' : 'pcm16'
  const carried = Number.parseInt(/;\s*rate=(\d+)/i.exec(stated)?.[1] ?? '', 10)
  const field = Number.parseInt(text(format, 'sample_rate', 'sampleRate') ?? '', 10)
  const rate = Number.isFinite(carried) ? carried : Number.isFinite(askedRate) ? askedRate : field
  return { encoding, sampleRate: rate === 16000 || rate === 24000 ? rate : 8000 }
}

/** One frame from Exotel, or why it is not one we can use. */
export function readExotelMessage (frame: string, askedRate?: number): StreamEvent | { error: string } {
  let message: Json
  try {
    message = object(JSON.parse(frame))
  } catch {
    return { error: 'not JSON' }
  }
  const event = text(message, 'event')
  const streamSid = text(message, 'stream_sid', 'streamSid') ?? text(object(message.start), 'stream_sid', 'streamSid')
  if (event === 'connected') return { event }
  if (!streamSid) return { error: `${event ?? 'a message'} without a stream_sid` }
  switch (event) {
    case 'start': {
      const start = object(message.start)
      const callSid = text(start, 'call_sid', 'callSid')
      if (!callSid) return { error: 'start without a call_sid' }
      const custom = object(start.custom_parameters ?? start.customParameters)
      return {
        event,
        streamSid,
        callSid,
        from: text(start, 'from'),
        to: text(start, 'to'),
        customParameters: Object.fromEntries(Object.entries(custom).map(([key, value]) => [key, String(value)])),
        format: readMediaFormat(object(start.media_format ?? start.mediaFormat), askedRate)
      }
    }
    case 'media': {
      const media = object(message.media)
      const payload = text(media, 'payload')
      if (!payload) return { error: 'media without a payload' }
      return { event, streamSid, chunk: number(media, 'chunk'), timestamp: number(media, 'timestamp'), audio: Buffer.from(payload, 'base64') }
    }
    case 'dtmf': {
      const dtmf = object(message.dtmf)
      const digit = text(dtmf, 'digit')
      if (!digit) return { error: 'dtmf without a digit' }
      return { event, streamSid, digit, duration: number(dtmf, 'duration') }
    }
    case 'mark': {
      const name = text(object(message.mark), 'name')
      if (!name) return { error: 'mark without a name' }
      return { event, streamSid, name }
    }
    case 'stop': {
      const stop = object(message.stop)
      return { event, streamSid, callSid: text(stop, 'call_sid', 'callSid'), reason: text(stop, 'reason') ?? 'stopped' }
    }
    default:
      return { error: `unknown event ${JSON.stringify(event ?? null)}` }
  }
}

// Exotel's rule for the audio we send, in bytes whatever the format: multiples of 320, from 3 200 to 100 KB.
const UNIT = 320
/** The least audio Exotel accepts in one `media` frame (100 ms at 16 kHz, 200 ms at 8 kHz). */
export const MIN_CHUNK = 3200
const MAX_CHUNK = Math.floor(100_000 / UNIT) * UNIT

/**
 * Audio cut into chunks Exotel accepts: about `chunkMs` each, kept to Exotel's sizes (multiples of 320 bytes, at
 * least 3 200, at most 100 KB); the last is padded with silence.
 */
export function mediaChunks (audio: Buffer, format: MediaFormat, chunkMs = 200): Buffer[] {
  const wanted = Math.round(chunkMs * bytesPerSecond(format) / 1000 / UNIT) * UNIT
  const size = Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, wanted))
  const silence = format.encoding === 'mulaw' ? 0xff : 0
  const chunks: Buffer[] = []
  for (let at = 0; at < audio.length; at += size) {
    const chunk = audio.subarray(at, at + size)
    const padded = Math.max(MIN_CHUNK, Math.ceil(chunk.length / UNIT) * UNIT)
    chunks.push(chunk.length < padded ? Buffer.concat([chunk, Buffer.alloc(padded - chunk.length, silence)]) : chunk)
  }
  return chunks
}

/**
 * The frames we send on one stream, numbered as Exotel's own sample bots number them: every frame carries a
 * `sequence_number`, and every media frame a `media.chunk` and a `media.timestamp` (ms of our audio before it), all
 * strings counting up from 1 (and 0); Exotel's helper notes that some streams drop or end early without them.
 */
export class OutgoingFrames implements FrameWriter {
  readonly #streamSid: string
  readonly #bytesPerMs: number
  /** A media frame's text up to its sequence number. */
  readonly #mediaHead: string
  #sequence = 0
  #chunk = 0
  #audioMs = 0

  constructor (streamSid: string, format: MediaFormat) {
    this.#streamSid = streamSid
    this.#bytesPerMs = bytesPerSecond(format) / 1000
    this.#mediaHead = `{"event":"media","stream_sid":${JSON.stringify(streamSid)},"sequence_number":"`
  }

  /**
   * The same JSON as `#frame` would make, put together around the audio's base64 (which needs no escaping): every
   * 100 ms of every call's audio goes out this way, and JSON.stringify would copy and scan each payload again.
   */
  media (chunk: Buffer): string {
    const timestamp = Math.round(this.#audioMs)
    this.#audioMs += chunk.length / this.#bytesPerMs
    return `${this.#mediaHead}${++this.#sequence}","media":{"chunk":"${++this.#chunk}","timestamp":"${timestamp}","payload":"${chunk.toString('base64')}"}}`
  }

  mark (name: string): string {
    return this.#frame('mark', { mark: { name } })
  }

  clear (): string {
    return this.#frame('clear', {})
  }

  #frame (event: string, body: object): string {
    return JSON.stringify({ event, stream_sid: this.#streamSid, sequence_number: String(++this.#sequence), ...body })
  }
}

/** Exotel's media stream as the live call speaks to it. */
export const exotelMediaStream: StreamProtocol = {
  read: readExotelMessage,
  chunks: mediaChunks,
  minChunkBytes: MIN_CHUNK,
  frames: (streamSid, format) => new OutgoingFrames(streamSid, format)
}
