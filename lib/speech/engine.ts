import { once } from 'node:events'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { Worker } from 'node:worker_threads'

/** eSpeak NG compiled to WebAssembly, with its voice data: installed by `npm ci`, nothing to download. */
const PACKAGE = dirname(createRequire(import.meta.url).resolve('@echogarden/espeak-ng-emscripten'))

/**
 * The worker's code, plain JavaScript (on Node 20 a worker thread does not get the TypeScript loader the server
 * may run under). It holds one engine for its life: loading it costs ~250 ms, a sentence then a few milliseconds.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { pathToFileURL } = require('node:url')
import(pathToFileURL(workerData.folder + '/espeak-ng.js').href).then(async ({ default: factory }) => {
  const module = await factory({ locateFile: (file) => workerData.folder + '/' + file, print () {}, printErr () {} })
  const engine = new module.eSpeakNGWorker()
  parentPort.postMessage({ ready: true, sampleRate: engine.samplerate })
  parentPort.on('message', ({ text, voice, rate }) => {
    try {
      if (engine.set_voice(voice) !== 0) throw new Error('no voice ' + voice)
      engine.rate = rate
      const chunks = []
      engine.synthesize(text, (samples) => { chunks.push(samples) })
      const length = chunks.reduce((sum, chunk) => sum + chunk.length, 0)
      const pcm = new Int16Array(length)
      let at = 0
      for (const chunk of chunks) { pcm.set(chunk, at); at += chunk.length }
      parentPort.postMessage({ pcm }, [pcm.buffer])
    } catch (error) {
      parentPort.postMessage({ error: String(error && error.message || error) })
    }
  })
}, (error) => { parentPort.postMessage({ failed: String(error && error.message || error) }) })
`

/** What the engine says at start, to no one: English and Hindi, with numbers, as a payment reminder would. */
const WARM_UP: Array<[text: string, voice: string]> = [
  ['Hello, this is a reminder about the payment of 12,450 rupees that is due on the 5th of December.', 'en'],
  ['To confirm your payment, press 1. To be called back later, press 2. Thank you, goodbye.', 'en'],
  ['नमस्ते, आपके 12,450 रुपये का भुगतान 5 दिसंबर को देय है।', 'hi'],
  ['अपना भुगतान पक्का करने के लिए 1 दबाइए। धन्यवाद।', 'hi']
]

type FirstMessage = { ready: true, sampleRate: number } | { failed: string }

export class SpeechError extends Error {}

interface Request {
  text: string
  voice: string
  rate: number
  resolve: (pcm: Int16Array) => void
  reject: (error: Error) => void
}

/**
 * The speech engine, in a worker thread of its own: synthesis is CPU work, and on the server's thread a hundred
 * greetings starting together would stall the audio of the calls already talking. Started at its first use. One
 * request is in the worker at a time, so that an urgent one (a call's first words) goes ahead of those waiting
 * (the rest of other calls' greetings): a caller waits for their first phrase, not for everyone's whole greeting.
 */
export class SpeechEngine {
  #worker?: Worker
  /** The worker has loaded the engine: requests may go to it. */
  #loaded = false
  /** Closed with its server: a request that comes later (a greeting made ahead for a call of that server) is refused. */
  #closed = false
  #ready?: Promise<number>
  readonly #urgent: Request[] = []
  readonly #later: Request[] = []
  #inFlight: Request | undefined

  /** `folder`: where the engine's files are (the installed package). */
  constructor (readonly folder = PACKAGE) {}

  /**
   * 16-bit mono PCM of `text` spoken by `voice` (an eSpeak voice name, `+f3` for a female variant) at `rate` words
   * a minute. `urgent`: ahead of every request that is not.
   */
  async synthesize (text: string, voice: string, rate: number, urgent = false): Promise<{ pcm: Int16Array, sampleRate: number }> {
    const sampleRate = await this.#started()
    const pcm = await new Promise<Int16Array>((resolve, reject) => {
      (urgent ? this.#urgent : this.#later).push({ text, voice, rate, resolve, reject })
      this.#next()
    })
    return { pcm, sampleRate }
  }

  /**
   * Starts the engine now (it loads in a few hundred milliseconds), so that the first call does not wait for it, and
   * has it speak a few sentences, so that V8 has optimised eSpeak's code before the first calls rather than while
   * they wait. Measured with a hundred greetings made at once just after: about 45 ms of CPU each in English (35
   * with these sentences, 19-20 warm), 21-27 ms in Hindi (12-15 with these, 7-8 warm); `bench/assistant.bench.ts`'s
   * scripted calls per core went from 0.40-0.51x the echo's to 0.54-0.59x. False: closed before it was done.
   */
  async warmUp (): Promise<boolean> {
    try {
      for (const [text, voice] of WARM_UP) await this.synthesize(text, voice, 175)
      return true
    } catch (error) {
      if (!this.#closed) throw error
      return false // a close (a server stopping) ends a warm-up: no failure of the engine
    }
  }

  #next () {
    if (this.#inFlight || !this.#loaded) return
    const request = this.#urgent.shift() ?? this.#later.shift()
    if (!request) return
    this.#inFlight = request
    this.#worker!.postMessage({ text: request.text, voice: request.voice, rate: request.rate })
  }

  async #started (): Promise<number> {
    if (this.#closed) throw new SpeechError('the speech engine is closed')
    this.#ready ??= (async () => {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { folder: this.folder }, execArgv: [] })
      worker.unref() // an idle engine never keeps the process alive
      this.#worker = worker // a close while it loads ends it
      worker.on('error', (error) => this.#failAll(error))
      worker.on('exit', () => this.#failAll(new SpeechError('the speech engine stopped')))
      // Until the engine has loaded, its end (a close, a crash) fails the start: the first message alone would be
      // waited for for ever.
      const stopped = once(worker, 'exit').then(() => { throw new SpeechError('the speech engine stopped') })
      stopped.catch(() => {}) // once loaded, an end is each waiting request's rejection, not this promise's
      const [first] = await Promise.race([once(worker, 'message') as Promise<[FirstMessage]>, stopped])
      if ('failed' in first) throw new SpeechError(`the speech engine did not start: ${first.failed}`)
      // After the first message, every one answers the request in flight.
      worker.on('message', (message: { pcm: Int16Array } | { error: string }) => {
        const request = this.#inFlight!
        this.#inFlight = undefined
        if ('error' in message) request.reject(new SpeechError(message.error))
        else request.resolve(message.pcm)
        this.#next()
      })
      this.#loaded = true
      return first.sampleRate
    })()
    return await this.#ready
  }

  #failAll (error: Error) {
    this.#ready = undefined
    this.#worker = undefined
    this.#loaded = false
    for (const request of [this.#inFlight, ...this.#urgent.splice(0), ...this.#later.splice(0)]) request?.reject(error)
    this.#inFlight = undefined
  }

  async close () {
    this.#closed = true
    const worker = this.#worker
    this.#worker = undefined
    this.#loaded = false
    this.#ready = undefined
    if (worker) await worker.terminate()
  }
}
