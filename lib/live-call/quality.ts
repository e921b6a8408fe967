import { SpeechDetector } from '../voice/speech-detector.js'
import { bytesPerSecond, type MediaFormat } from '../voice/format.js'

/** How a live call sounded, measured on its stream: stored with the conversation. Times in milliseconds. */
export interface CallQuality {
  /** The stream's start to the assistant's first audio. */
  first_audio_ms: number | null
  /** Each turn: the caller stopped speaking (or pressed a key) to the assistant's next audio. */
  response_delays_ms: number[]
  /** Each barge-in: the caller started speaking over the assistant to its audio being cleared. */
  barge_in_reactions_ms: number[]
  /** Times the assistant was speaking and nothing was queued for more than 100 ms. */
  underruns: number
  /** Times the caller's stream went quiet (no frame) for more than 200 ms beyond a frame's length, and the longest. */
  stream_gaps: number
  longest_gap_ms: number
  /** Frames that arrived more than 200 ms after the moment their timestamp says. */
  late_frames: number
  /** The AI model's own delay, each response: asked to respond to its first audio. */
  model_delays_ms: number[]
}

/** Most turns, barge-ins and model delays kept for one call: a call is minutes, not hours. */
const MAX_KEPT = 200
const UNDERRUN_MS = 100
/** Loudness that is a voice, as the assistants hear it (lib/voice/speech-detector.ts). */
const VOICE = 500
const GAP_MS = 200
const LATE_MS = 200
/** A caller who starts speaking this long after the assistant's audio stopped playing is not barging in. */
const BARGE_IN_WINDOW_MS = 2000

/**
 * Measures one stream as it goes, from what the session sees: the caller's frames (their voice found by loudness, as
 * the assistants find it), keys, and the assistant's audio as it is sent, cleared, and ends an utterance. `now`
 * is a monotonic clock in milliseconds.
 */
export class QualityMeter {
  readonly #now: () => number
  readonly #detector: SpeechDetector
  readonly #bytesPerMs: number
  readonly #quality: CallQuality = {
    first_audio_ms: null,
    response_delays_ms: [],
    barge_in_reactions_ms: [],
    underruns: 0,
    stream_gaps: 0,
    longest_gap_ms: 0,
    late_frames: 0,
    model_delays_ms: []
  }

  #started: number
  #lastVoice = 0
  #lastFrame: { at: number, ms: number } | undefined
  /** When the assistant's audio sent so far ends playing; in an utterance, while more is to come. */
  #playsUntil = -Infinity
  #inUtterance = false
  /** The caller's turn ended then; the assistant's next audio answers it. */
  #turnEnded: number | undefined
  /** The caller's voice began then (while it goes on), and whether the assistant was playing: a `clear` answers it. */
  #voiceSince: number | undefined
  #overAssistant = false

  constructor (format: MediaFormat, now: () => number = () => performance.now()) {
    this.#now = now
    this.#detector = new SpeechDetector(format, { threshold: VOICE })
    this.#bytesPerMs = bytesPerSecond(format) / 1000
    this.#started = now()
  }

  /** A frame of the caller's audio, with the stream's own timestamp for it when it gave one. */
  callerAudio (audio: Buffer, timestamp?: number): void {
    const now = this.#now()
    const ms = audio.length / this.#bytesPerMs
    if (this.#lastFrame) {
      const gap = now - this.#lastFrame.at - this.#lastFrame.ms
      if (gap > GAP_MS) {
        this.#quality.stream_gaps++
        this.#quality.longest_gap_ms = Math.max(this.#quality.longest_gap_ms, Math.round(gap))
      }
    }
    this.#lastFrame = { at: now, ms }
    if (timestamp !== undefined && now - this.#started - timestamp > LATE_MS) this.#quality.late_frames++
    const change = this.#detector.push(audio)
    const voice = this.#detector.loud
    // Where the caller's voice began (over the assistant, a barge-in starts there), and where it was last heard
    // (their turn ended there, once the detector says they stopped).
    if (voice) {
      this.#lastVoice = now + ms
      if (this.#voiceSince === undefined) {
        this.#voiceSince = now
        this.#overAssistant = now < this.#playsUntil + BARGE_IN_WINDOW_MS
      }
    }
    if (!voice && !this.#detector.speaking) this.#voiceSince = undefined // a click, or the end of their words
    if (change === 'stopped') this.#turnEnded = this.#lastVoice
  }

  /** The caller pressed a key: their turn has ended. */
  callerKey (): void {
    this.#turnEnded = this.#now()
  }

  /** The assistant's audio (in the stream's format), sent to start playing in `startsInMs`. */
  assistantSent (audio: Buffer, startsInMs: number): void {
    const now = this.#now()
    const starts = now + startsInMs
    if (this.#quality.first_audio_ms === null) this.#quality.first_audio_ms = Math.round(starts - this.#started)
    if (this.#inUtterance && starts - this.#playsUntil > UNDERRUN_MS) this.#quality.underruns++
    if (this.#turnEnded !== undefined) {
      keep(this.#quality.response_delays_ms, starts - this.#turnEnded)
      this.#turnEnded = undefined
    }
    this.#inUtterance = true
    this.#playsUntil = Math.max(this.#playsUntil, starts) + audio.length / this.#bytesPerMs
  }

  /** The assistant said all it had to say for now (a flush or a mark): a pause after it is no underrun. */
  utteranceEnded (): void {
    this.#inUtterance = false
  }

  /** A barge-in: the assistant's audio not yet played was dropped. */
  cleared (): void {
    const now = this.#now()
    // Once a barge-in: however the assistant found the voice (its own detector, or the AI service's), it began then.
    if (this.#voiceSince !== undefined && this.#overAssistant) keep(this.#quality.barge_in_reactions_ms, now - this.#voiceSince)
    this.#overAssistant = false
    this.#inUtterance = false
    this.#playsUntil = now
  }

  /** The AI model took this long from being asked to respond to its first audio. */
  modelDelay (ms: number): void {
    keep(this.#quality.model_delays_ms, ms)
  }

  result (): CallQuality {
    return structuredClone(this.#quality)
  }
}

function keep (list: number[], ms: number) {
  if (list.length < MAX_KEPT) list.push(Math.max(0, Math.round(ms)))
}
