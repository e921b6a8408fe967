import { bytesPerSecond, type MediaFormat } from '../voice/format.js'
import type { FrameWriter, StreamProtocol } from './stream-protocol.js'

export interface PlaybackOptions {
  streamSid: string
  format: MediaFormat
  /** The provider's wire format: how audio is cut and frames are written. */
  protocol: StreamProtocol
  /** Sends one frame on the stream. */
  send: (frame: string) => void
  /** How far ahead of what is playing audio is sent: the provider plays what it has, so this is what a `clear` drops. */
  aheadMs: number
  /** Audio per media frame. */
  chunkMs?: number
  /** Told of each chunk of audio as it is sent, and in how long it starts playing (the recording places it there). */
  onSend?: (audio: Buffer, startsInMs: number) => void
  /** Told when a `clear` drops what was not yet playing. */
  onClear?: () => void
}

// Frames are built as they are sent, so that their numbers count up in the order the provider receives them.
type Queued = { audio: Buffer, ms: number } | { mark: string }

/**
 * The bot's voice on one stream, paced near real time: audio is cut into media frames of the sizes the provider takes and each is
 * sent about when the one before it would be playing, never more than `aheadMs` ahead (a reply sent all at once
 * is reported to make calls drop, and a `clear` only drops audio not yet playing). Marks ride in the same queue,
 * so the provider reports each when playback reaches it.
 */
export class Playback {
  readonly #options: Required<PlaybackOptions>
  readonly #chunkBytes: number
  readonly #frames: FrameWriter
  #pending: Buffer[] = []
  #pendingBytes = 0
  #queue: Queued[] = []
  /** When everything sent so far will have played (ms since the epoch). */
  #playhead = 0
  #timer: NodeJS.Timeout | undefined
  #stopped = false
  /** For each mark sent: the playhead when it was sent, i.e. when it should play. */
  #marks = new Map<string, number>()

  constructor (options: PlaybackOptions) {
    this.#options = { chunkMs: 200, ...options, onSend: options.onSend ?? (() => {}), onClear: options.onClear ?? (() => {}) }
    this.#chunkBytes = Math.round(this.#options.chunkMs * bytesPerSecond(options.format) / 1000 / 320) * 320
    this.#frames = options.protocol.frames(options.streamSid, options.format)
  }

  /** Milliseconds of audio sent or queued that have not yet played. */
  get unplayedMs (): number {
    const queued = this.#queue.reduce((sum, item) => sum + ('ms' in item ? item.ms : 0), 0)
    return Math.max(0, this.#playhead - Date.now()) + queued + this.#pendingBytes / bytesPerSecond(this.#options.format) * 1000
  }

  /** Queues audio (in the stream's format). Whole frames go out as they fill; the rest waits for more or a flush. */
  play (audio: Buffer): void {
    if (this.#stopped || audio.length === 0) return
    this.#pending.push(audio)
    this.#pendingBytes += audio.length
    if (this.#pendingBytes < this.#chunkBytes) return
    const all = Buffer.concat(this.#pending)
    const whole = all.length - all.length % this.#chunkBytes
    this.#enqueue(all.subarray(0, whole))
    this.#pending = whole < all.length ? [all.subarray(whole)] : []
    this.#pendingBytes = all.length - whole
    this.#pump()
  }

  /** Sends what is waiting for a whole frame (padded with silence): the end of an utterance. */
  flush (): void {
    if (this.#pendingBytes === 0) return
    this.#enqueue(this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending))
    this.#pending = []
    this.#pendingBytes = 0
    this.#pump()
  }

  /** Flushes, then asks the provider to report when playback reaches this point. */
  mark (name: string): void {
    if (this.#stopped) return
    this.flush()
    this.#queue.push({ mark: name })
    this.#pump()
  }

  /**
   * The provider reports a mark played: what was sent before it has played, whatever our clock said (playback may
   * have started late, or run ahead of it), so the playhead moves to match.
   */
  played (name: string): void {
    const due = this.#marks.get(name)
    if (due === undefined) return
    this.#marks.delete(name)
    const now = Date.now()
    if (due > now) this.#playhead -= due - now
  }

  /** Barge-in: drops all audio not yet playing, here and at the provider. */
  clear (): void {
    if (this.#stopped) return
    this.#pending = []
    this.#pendingBytes = 0
    this.#queue = []
    this.#marks.clear() // a mark dropped is never reported
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#playhead = 0
    this.#options.send(this.#frames.clear())
    this.#options.onClear()
  }

  stop (): void {
    this.#stopped = true
    clearTimeout(this.#timer)
    this.#queue = []
  }

  #enqueue (audio: Buffer) {
    const bytesPerMs = bytesPerSecond(this.#options.format) / 1000
    for (const chunk of this.#options.protocol.chunks(audio, this.#options.format, this.#options.chunkMs)) {
      this.#queue.push({ audio: chunk, ms: chunk.length / bytesPerMs })
    }
  }

  #pump = () => {
    this.#timer = undefined
    const now = Date.now()
    while (this.#queue.length > 0 && this.#playhead - now < this.#options.aheadMs) {
      const item = this.#queue.shift()!
      if ('audio' in item) {
        this.#options.send(this.#frames.media(item.audio))
        this.#options.onSend(item.audio, Math.max(this.#playhead - now, 0))
        this.#playhead = Math.max(this.#playhead, now) + item.ms
      } else {
        this.#options.send(this.#frames.mark(item.mark))
        this.#marks.set(item.mark, Math.max(this.#playhead, now))
      }
    }
    if (this.#queue.length > 0 && !this.#timer) {
      this.#timer = setTimeout(this.#pump, Math.max(1, this.#playhead - now - this.#options.aheadMs))
    }
  }
}
