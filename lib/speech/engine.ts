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
  parentPort.on('message', ({ id, text, voice, rate }) => {
    try {
      if (engine.set_voice(voice) !== 0) throw new Error('no voice ' + voice)
      engine.rate = rate
      const chunks = []
      engine.synthesize(text, (samples) => { chunks.push(samples) })
      const length = chunks.reduce((sum, chunk) => sum + chunk.length, 0)
      const pcm = new Int16Array(length)
      let at = 0
      for (const chunk of chunks) { pcm.set(chunk, at); at += chunk.length }
      parentPort.postMessage({ id, pcm }, [pcm.buffer])
    } catch (error) {
      parentPort.postMessage({ id, error: String(error && error.message || error) })
    }
  })
}, (error) => { parentPort.postMessage({ failed: String(error && error.message || error) }) })
`

type FirstMessage = { ready: true, sampleRate: number } | { failed: string }

export class SpeechError extends Error {}

/**
 * The speech engine, in a worker thread of its own: synthesis is CPU work, and on the server's thread a hundred
 * greetings starting together would stall the audio of the calls already talking. Started at its first use; its
 * requests are answered in order.
 */
export class SpeechEngine {
  #worker?: Worker
  #ready?: Promise<number>
  readonly #waiting = new Map<number, { resolve: (pcm: Int16Array) => void, reject: (error: Error) => void }>()
  #lastId = 0

  /** `folder`: where the engine's files are (the installed package). */
  constructor (readonly folder = PACKAGE) {}

  /** 16-bit mono PCM of `text` spoken by `voice` (an eSpeak voice name, `+f3` for a female variant) at `rate` words a minute. */
  async synthesize (text: string, voice: string, rate: number): Promise<{ pcm: Int16Array, sampleRate: number }> {
    const sampleRate = await this.#started()
    const id = ++this.#lastId
    const pcm = await new Promise<Int16Array>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject })
      this.#worker!.postMessage({ id, text, voice, rate })
    })
    return { pcm, sampleRate }
  }

  async #started (): Promise<number> {
    this.#ready ??= (async () => {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { folder: this.folder } })
      worker.unref() // an idle engine never keeps the process alive
      this.#worker = worker
      worker.on('error', (error) => this.#failAll(error))
      worker.on('exit', () => this.#failAll(new SpeechError('the speech engine stopped')))
      const [first] = await once(worker, 'message') as [FirstMessage]
      if ('failed' in first) throw new SpeechError(`the speech engine did not start: ${first.failed}`)
      // After the first message, every one answers a request.
      worker.on('message', (message: { id: number, pcm: Int16Array } | { id: number, error: string }) => {
        const waiting = this.#waiting.get(message.id)!
        this.#waiting.delete(message.id)
        if ('error' in message) waiting.reject(new SpeechError(message.error))
        else waiting.resolve(message.pcm)
      })
      return (first as { sampleRate: number }).sampleRate
    })()
    return await this.#ready
  }

  #failAll (error: Error) {
    this.#ready = undefined
    this.#worker = undefined
    for (const { reject } of this.#waiting.values()) reject(error)
    this.#waiting.clear()
  }

  async close () {
    const worker = this.#worker
    this.#worker = undefined
    this.#ready = undefined
    if (worker) await worker.terminate()
  }
}
