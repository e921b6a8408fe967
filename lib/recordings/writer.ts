import { once } from 'node:events'
import type { Worker } from 'node:worker_threads'
import { plainThread } from '../server/plain-thread.js'

/** One block of a file: the customer's (left) and the assistant's (right) samples, written from byte `offset`. */
export interface Block { id: number, offset: number, left: Int16Array<ArrayBuffer>, right: Int16Array<ArrayBuffer> }

/** What the main thread asks of the recordings' thread (./writer-thread.js). */
export type WriterRequest = { id: number } & (
  | { op: 'open', path: string, header: Uint8Array }
  | { op: 'blocks', blocks: Block[] }
  | { op: 'finish', header: Uint8Array }
  | { op: 'close' })

/** One file being written by the thread. */
export interface RecordingFile {
  /** Writes the customer's (left) and the assistant's (right) samples, alike in length, at byte `offset`. */
  block (offset: number, left: Int16Array<ArrayBuffer>, right: Int16Array<ArrayBuffer>): void
  /** Writes the final header and closes the file; rejects if any write failed. */
  finish (header: Uint8Array): Promise<void>
}

const THREAD = new URL('./writer-thread.js', import.meta.url)
/**
 * Blocks are handed over together, at most this often: one message for all the calls' seconds, not one per call
 * (each message wakes the thread, and under load the main thread can wait on it).
 */
const BATCH_MS = 100

/**
 * The recordings' writer: a thread of its own that interleaves each block of a call into stereo samples and writes
 * it, so that the main thread, where the live calls' audio is handled, only copies samples and hands them over.
 */
export class RecordingWriter {
  readonly #worker: Worker
  readonly #pending = new Map<number, { resolve: () => void, reject: (error: Error) => void }>()
  #nextId = 1
  #closed = false
  /** Why the thread stopped, when it stopped of itself: every recording fails from then on, and the calls go on. */
  #stopped: Error | undefined
  readonly #asked = new Set<Promise<void>>()
  #blocks: Block[] = []
  #batch: NodeJS.Timeout | undefined

  /** `thread`: the thread's module (tests give one that fails). */
  constructor (thread: URL = THREAD) {
    this.#worker = plainThread(thread)
    this.#worker.unref()
    // A thread that fails (out of memory, say) would otherwise end the server with it, through an 'error' event no
    // one hears; and the recordings it was opening or finishing would wait for ever.
    this.#worker.on('error', (error) => {
      this.#stopped = new Error(`The recordings' writer stopped: ${error.message}`)
      for (const { reject } of this.#pending.values()) reject(this.#stopped)
      this.#pending.clear()
    })
    this.#worker.on('message', ({ id, failed }: { id: number, failed?: { message: string, code?: string } }) => {
      const waiting = this.#pending.get(id)!
      this.#pending.delete(id)
      // The thread keeps the process alive only while a recording is being opened or finished.
      if (this.#pending.size === 0) this.#worker.unref()
      if (failed) waiting.reject(Object.assign(new Error(failed.message), failed))
      else waiting.resolve()
    })
  }

  /** Creates the file at `path` (readable by the server's user only), starting with `header`. */
  async open (path: string, header: Uint8Array): Promise<RecordingFile> {
    const id = this.#nextId++
    await this.#ask({ op: 'open', id, path, header })
    return {
      block: (offset, left, right) => {
        this.#blocks.push({ id, offset, left, right })
        this.#batch ??= setTimeout(() => this.#handOver(), BATCH_MS).unref() // (a finish hands over what waits)
      },
      finish: async (header) => await this.#ask({ op: 'finish', id, header })
    }
  }

  /** Ends the thread once what it was given is written, and the files being opened or finished are. */
  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await Promise.allSettled(this.#asked)
    if (this.#stopped) return
    const ended = once(this.#worker, 'exit')
    this.#handOver()
    this.#worker.ref()
    this.#worker.postMessage({ op: 'close', id: 0 } satisfies WriterRequest)
    await ended
  }

  /** Hands the waiting blocks to the thread, in one message. */
  #handOver () {
    clearTimeout(this.#batch)
    this.#batch = undefined
    if (this.#blocks.length === 0) return
    const blocks = this.#blocks
    this.#blocks = []
    this.#worker.postMessage({ op: 'blocks', id: 0, blocks } satisfies WriterRequest, blocks.flatMap((block) => [block.left.buffer, block.right.buffer]))
  }

  async #ask (request: WriterRequest): Promise<void> {
    if (this.#closed) throw new Error('The recordings are closed: the server is stopping')
    if (this.#stopped) throw this.#stopped
    this.#handOver() // a file's blocks before its finish
    if (this.#pending.size === 0) this.#worker.ref()
    const asked = new Promise<void>((resolve, reject) => {
      this.#pending.set(request.id, { resolve, reject })
      this.#worker.postMessage(request)
    })
    this.#asked.add(asked)
    try {
      await asked
    } finally {
      this.#asked.delete(asked)
    }
  }
}
