import { bytesPerSecond, type MediaFormat } from './format.js'
import { loudness } from './audio.js'

export interface SpeechDetectorOptions {
  /** Loudness (RMS, 0-32767) above which a chunk counts as voice. Phone line hiss sits well below 300. */
  threshold?: number
  /** Voice for this long means the caller has started speaking. */
  startMs?: number
  /** Quiet for this long means they have stopped. */
  endMs?: number
}

/**
 * Tells when the caller starts and stops speaking, from the loudness of their audio: enough loud audio in a row
 * starts speech (a click or a cough shorter than `startMs` does not), enough quiet audio ends it.
 */
export class SpeechDetector {
  readonly #threshold: number
  readonly #startMs: number
  readonly #endMs: number
  readonly #bytesPerMs: number
  readonly #format: MediaFormat
  #speaking = false
  #loud = false
  #runMs = 0

  constructor (format: MediaFormat, options: SpeechDetectorOptions = {}) {
    this.#format = format
    this.#bytesPerMs = bytesPerSecond(format) / 1000
    this.#threshold = options.threshold ?? 500
    this.#startMs = options.startMs ?? 160
    this.#endMs = options.endMs ?? 700
  }

  get speaking (): boolean {
    return this.#speaking
  }

  /** Whether the last chunk pushed was loud enough to be voice (measured once, for whoever else asks). */
  get loud (): boolean {
    return this.#loud
  }

  /** Feeds one chunk of caller audio; answers 'started' or 'stopped' when that changes. */
  push (audio: Buffer): 'started' | 'stopped' | undefined {
    const loud = this.#loud = loudness(audio, this.#format) >= this.#threshold
    const ms = audio.length / this.#bytesPerMs
    // Counts the run of chunks that disagree with the current state; any chunk that agrees resets it.
    if (loud === this.#speaking) {
      this.#runMs = 0
      return undefined
    }
    this.#runMs += ms
    if (this.#runMs < (this.#speaking ? this.#endMs : this.#startMs)) return undefined
    this.#speaking = loud
    this.#runMs = 0
    return loud ? 'started' : 'stopped'
  }
}
