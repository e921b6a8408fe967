import type { MediaFormat } from '../voice/format.js'
import { fromPcm } from '../voice/audio.js'
import { SpeechEngine, SpeechError } from './engine.js'
import { LANGUAGES, type Language } from './languages.js'

export interface VoiceChoice {
  language: Language
  /** eSpeak's default voice, or its female variant. */
  gender: 'male' | 'female'
  /** Words a minute: 175 is eSpeak's default, a little slower is easier on a phone line. */
  rate: number
}

/**
 * A text's phrases, each with its closing punctuation: sentences (Latin, the Devanagari danda, the Urdu full stop)
 * and their parts between commas, semicolons and colons. A customer's name or amount is then a short phrase of its
 * own, made per call, and the rest of the sentence is the same for every customer, made once and kept.
 */
export function phrases (text: string): string[] {
  return (text.match(/[^.!?।॥۔,;:،؛]+(?:[.!?।॥۔,;:،؛]+|$)/gu) ?? []).map((phrase) => phrase.trim()).filter(Boolean)
}

/**
 * Speech for the live call and the preview: a text is spoken phrase by phrase, so the first plays while the next is
 * made, and the first is made ahead of other calls' later phrases. Phrases are kept, in each stream format asked
 * for, up to `cacheBytes`, the least recently used going first: what is the same for every customer (a menu, a
 * goodbye, most of a greeting) is made once.
 */
export class Speech {
  readonly #engine: SpeechEngine
  /** The engine is this Speech's own, closed with it; one given is its giver's. */
  readonly #ownEngine: boolean
  #closed = false
  readonly #cache = new Map<string, Buffer>()
  /** Phrases being made, each with whether it was asked for urgently. */
  readonly #making = new Map<string, { audio: Promise<Buffer>, urgent: boolean }>()
  #cachedBytes = 0

  /**
   * `engine`: one to share (the tests' apps in one process share one, as a server's only app has its own); closed by
   * whoever made it, not by this Speech.
   */
  constructor (readonly cacheBytes = 32 * 1024 * 1024, engine?: SpeechEngine) {
    this.#engine = engine ?? new SpeechEngine()
    this.#ownEngine = !engine
  }

  /** The audio of each phrase of `text`, in order, in `format`; the first is urgent: someone waits for it. */
  async * say (text: string, voice: VoiceChoice, format: MediaFormat): AsyncIterable<Buffer> {
    let first = true
    for (const phrase of phrases(text)) {
      yield await this.phrase(phrase, voice, format, first)
      first = false
    }
  }

  /** Makes `text` ahead (while a phone rings): kept in the cache, said from it later. Nothing in it is urgent. */
  async prepare (text: string, voice: VoiceChoice, format: MediaFormat): Promise<void> {
    for (const phrase of phrases(text)) await this.phrase(phrase, voice, format)
  }

  /** Starts the engine ahead of the first call; false if it was closed before it was done. */
  async warmUp (): Promise<boolean> {
    return await this.#engine.warmUp()
  }

  /**
   * One phrase's audio, from the cache or made now (`urgent`: ahead of phrases that are not). A phrase being made
   * is waited for, not made again: a hundred calls that start together ask for the same menu at once.
   */
  async phrase (phrase: string, voice: VoiceChoice, format: MediaFormat, urgent = false): Promise<Buffer> {
    const key = `${voice.language}:${voice.gender}:${voice.rate}:${format.encoding}:${format.sampleRate}:${phrase}`
    const cached = this.#cache.get(key)
    if (cached) {
      this.#cache.delete(key) // to the end: most recently used
      this.#cache.set(key, cached)
      return cached
    }
    const making = this.#making.get(key)
    // One made ahead waits behind every urgent phrase: someone waiting for it now asks again, ahead.
    if (making && (making.urgent || !urgent)) return await making.audio
    const audio = this.#make(phrase, voice, format, urgent)
    const entry = { audio, urgent }
    this.#making.set(key, entry)
    try {
      const made = await audio
      this.#keep(key, made)
      return made
    } finally {
      if (this.#making.get(key) === entry) this.#making.delete(key)
    }
  }

  async #make (phrase: string, voice: VoiceChoice, format: MediaFormat, urgent: boolean): Promise<Buffer> {
    if (this.#closed) throw new SpeechError('the speech engine is closed')
    const name = LANGUAGES[voice.language].voice + (voice.gender === 'female' ? '+f3' : '')
    const { pcm, sampleRate } = await this.#engine.synthesize(phrase, name, voice.rate, urgent)
    return fromPcm(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength), sampleRate, format)
  }

  #keep (key: string, audio: Buffer) {
    if (audio.length > this.cacheBytes) return
    this.#cache.set(key, audio)
    this.#cachedBytes += audio.length
    for (const [oldest, kept] of this.#cache) {
      if (this.#cachedBytes <= this.cacheBytes) break
      this.#cache.delete(oldest)
      this.#cachedBytes -= kept.length
    }
  }

  async close () {
    this.#closed = true
    if (this.#ownEngine) await this.#engine.close()
  }
}
