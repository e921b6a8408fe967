import type { MediaFormat } from '../voice/format.js'
import { fromPcm } from '../voice/audio.js'
import { SpeechEngine } from './engine.js'
import { LANGUAGES, type Language } from './languages.js'

export interface VoiceChoice {
  language: Language
  /** eSpeak's default voice, or its female variant. */
  gender: 'male' | 'female'
  /** Words a minute: 175 is eSpeak's default, a little slower is easier on a phone line. */
  rate: number
}

/** A text's sentences, each with its closing punctuation (Latin, Devanagari danda, Urdu full stop). */
export function sentences (text: string): string[] {
  return (text.match(/[^.!?।॥۔]+(?:[.!?।॥۔]+|$)/gu) ?? []).map((sentence) => sentence.trim()).filter(Boolean)
}

/**
 * Speech for the live call and the preview: a text is spoken sentence by sentence, so the first sentence plays
 * while the next is made. Sentences are kept, in each stream format asked for, up to `cacheBytes`, the least
 * recently used going first: what is the same for every customer (a menu, a goodbye) is made once.
 */
export class Speech {
  readonly #engine = new SpeechEngine()
  readonly #cache = new Map<string, Buffer>()
  #cachedBytes = 0

  constructor (readonly cacheBytes = 32 * 1024 * 1024) {}

  /** The audio of each sentence of `text`, in order, in `format`. */
  async * say (text: string, voice: VoiceChoice, format: MediaFormat): AsyncIterable<Buffer> {
    for (const sentence of sentences(text)) yield await this.sentence(sentence, voice, format)
  }

  /** One sentence's audio, from the cache or made now. */
  async sentence (sentence: string, voice: VoiceChoice, format: MediaFormat): Promise<Buffer> {
    const key = `${voice.language}:${voice.gender}:${voice.rate}:${format.encoding}:${format.sampleRate}:${sentence}`
    const cached = this.#cache.get(key)
    if (cached) {
      this.#cache.delete(key) // to the end: most recently used
      this.#cache.set(key, cached)
      return cached
    }
    const name = LANGUAGES[voice.language].voice + (voice.gender === 'female' ? '+f3' : '')
    const { pcm, sampleRate } = await this.#engine.synthesize(sentence, name, voice.rate)
    const audio = fromPcm(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength), sampleRate, format)
    this.#keep(key, audio)
    return audio
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
    await this.#engine.close()
  }
}
