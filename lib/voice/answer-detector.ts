import { toPcm, samples16 } from './audio.js'
import type { MediaFormat } from './format.js'

/** Who answered a call, as the first seconds of their audio tell (or Exotel's `AnsweredBy`). */
export interface Answer {
  answeredBy: 'human' | 'machine' | 'notsure'
  /**
   * What told: a short greeting then quiet (a person's "hello?"), a long unbroken greeting (a voicemail, a network
   * message, an IVR menu), a tone (a voicemail's beep, the network's tones before its message), nothing said at all,
   * or Exotel.
   */
  cue: 'short-greeting' | 'long-greeting' | 'tone' | 'silence' | 'exotel'
  /** Milliseconds of the stream's audio it took to tell. */
  ms: number
}

export interface AnswerDetectorOptions {
  /** Loudness (RMS) above which a frame is voice; phone line hiss sits well below. */
  threshold?: number
  /** A greeting that goes on this long (pauses under `pauseMs` included) is a machine's. */
  longMs?: number
  /** Quiet this long after a greeting ends it: a person who said "hello?" waits for an answer. */
  pauseMs?: number
  /** A steady tone this long is a beep. */
  toneMs?: number
  /** Nothing said for this long: not sure (a person who listens, or dead air), and the call goes on. */
  silenceMs?: number
}

const FRAME_MS = 20
/** Tones looked for: 300-2500 Hz, every 25 Hz (a tone between two of them keeps over 80 % of its power). */
const TONES = Array.from({ length: 89 }, (_, i) => 300 + 25 * i)
/** A frame whose power is this much in one tone is tonal: a voice spreads its power over many harmonics. */
const TONAL = 0.6

/**
 * Tells a person from an answering machine in the first seconds of the audio the callee sends, offline and with no
 * model: a short greeting followed by quiet is a person ("hello?"); a greeting that goes on (a voicemail's, an IVR's
 * menu, a network message) or a steady tone (a voicemail's beep, the network's tones) is a machine; saying nothing
 * is "not sure". Then, for a machine, it tells when it is ready to record a message: after its beep, or once its
 * greeting has stopped.
 */
export class AnswerDetector {
  readonly #format: MediaFormat
  readonly #threshold: number
  readonly #longMs: number
  readonly #pauseMs: number
  readonly #toneMs: number
  readonly #silenceMs: number
  readonly #frameSamples: number
  /** Goertzel coefficients of the tones, at the stream's rate. */
  readonly #coefficients: Float64Array
  /** Samples of the frame being filled. */
  readonly #frame: Float64Array
  #filled = 0
  #ms = 0
  /** When the greeting began and when its voice was last heard (ms into the stream), once it has begun. */
  #greetingFrom: number | undefined
  #voiceAt = 0
  /** The tone of the frames in a row that held one, and how long it has held. */
  #tone = -1
  #toneRunMs = 0
  #answer: Answer | undefined
  #ready = false

  constructor (format: MediaFormat, options: AnswerDetectorOptions = {}) {
    this.#format = format
    this.#threshold = options.threshold ?? 500
    this.#longMs = options.longMs ?? 1500
    this.#pauseMs = options.pauseMs ?? 700
    this.#toneMs = options.toneMs ?? 200
    this.#silenceMs = options.silenceMs ?? 3000
    this.#frameSamples = format.sampleRate * FRAME_MS / 1000
    this.#frame = new Float64Array(this.#frameSamples)
    this.#coefficients = Float64Array.from(TONES, (hz) => 2 * Math.cos(2 * Math.PI * hz / format.sampleRate))
  }

  /** The answer, once told. */
  get answer (): Answer | undefined {
    return this.#answer
  }

  /** Exotel said who answered (human or machine): that is the answer, if the audio has not told already. */
  told (answeredBy: 'human' | 'machine'): Answer {
    this.#answer ??= { answeredBy, cue: 'exotel', ms: this.#ms }
    return this.#answer
  }

  /**
   * Feeds a chunk of the callee's audio (`answer` tells who answered once it can). Answers true when a machine has
   * become ready to record: its beep has ended, or its greeting has stopped.
   */
  push (chunk: Buffer): boolean {
    const samples = samples16(toPcm(chunk, this.#format))
    let ready = false
    for (let i = 0; i < samples.length; i++) {
      this.#frame[this.#filled++] = samples[i]!
      if (this.#filled < this.#frameSamples) continue
      this.#filled = 0
      this.#ms += FRAME_MS
      ready = this.#heard() || ready
    }
    return ready
  }

  /** One whole frame: voice or not, a tone or not, and what that tells; true when a machine became ready. */
  #heard (): boolean {
    const frame = this.#frame
    let energy = 0
    for (let i = 0; i < frame.length; i++) energy += frame[i]! * frame[i]!
    const voice = Math.sqrt(energy / frame.length) >= this.#threshold
    const tone = voice ? this.#toneOf(energy) : -1
    const wasTone = this.#toneRunMs >= this.#toneMs
    if (tone >= 0 && Math.abs(tone - this.#tone) <= 1) {
      this.#toneRunMs += FRAME_MS
    } else {
      this.#toneRunMs = tone >= 0 ? FRAME_MS : 0
    }
    this.#tone = tone
    if (voice) {
      this.#greetingFrom ??= this.#ms - FRAME_MS
      this.#voiceAt = this.#ms
    }
    const quietMs = this.#ms - this.#voiceAt
    if (this.#answer === undefined) {
      const told = this.#tells(quietMs)
      if (told) this.#answer = { ...told, ms: this.#ms }
      return false
    }
    if (this.#answer.answeredBy !== 'machine' || this.#ready) return false
    // Ready to record: a beep has just ended in quiet (tones followed by words are a network's message), or the
    // greeting has stopped for a while (some have no beep).
    this.#ready = (wasTone && !voice) || quietMs >= this.#pauseMs * 2
    return this.#ready
  }

  /** Who answered, if what has been heard tells. */
  #tells (quietMs: number): Omit<Answer, 'ms'> | undefined {
    if (this.#toneRunMs >= this.#toneMs) return { answeredBy: 'machine', cue: 'tone' }
    if (this.#greetingFrom === undefined) return this.#ms >= this.#silenceMs ? { answeredBy: 'notsure', cue: 'silence' } : undefined
    if (this.#voiceAt - this.#greetingFrom >= this.#longMs) return { answeredBy: 'machine', cue: 'long-greeting' }
    if (quietMs >= this.#pauseMs) return { answeredBy: 'human', cue: 'short-greeting' }
    return undefined
  }

  /** The index of the tone holding most of this frame's power, if one holds enough of it; else -1. */
  #toneOf (energy: number): number {
    const frame = this.#frame
    let best = -1
    let bestPower = TONAL * energy * frame.length / 2
    for (let t = 0; t < this.#coefficients.length; t++) {
      const coefficient = this.#coefficients[t]!
      let s1 = 0
      let s2 = 0
      for (let i = 0; i < frame.length; i++) {
        const s0 = frame[i]! + coefficient * s1 - s2
        s2 = s1
        s1 = s0
      }
      const power = s1 * s1 + s2 * s2 - coefficient * s1 * s2
      if (power > bestPower) {
        bestPower = power
        best = t
      }
    }
    return best
  }
}
