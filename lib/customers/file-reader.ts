import { once } from 'node:events'
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { CustomerFileError, sniffFile, type FileFormat, type FileRow, type ReadLimits } from './customer-file.js'
import type { FromWorker, ToWorker } from './file-worker.js'
import { Mailbox } from './mailbox.js'

/** An uploaded file, opened: what it is, and its records, parsed off the main thread. */
export interface OpenedFile {
  format: FileFormat
  rows: AsyncIterable<FileRow>
}

/** The worker is the file's own extension: `.ts` when run from source, `.js` once built. */
const WORKER = new URL(`./file-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url)

/** The worker's errors that say the file was too large to read. */
const TOO_LARGE: Record<string, number> = { ERR_WORKER_OUT_OF_MEMORY: 413 }

/**
 * Reads uploaded files on one worker thread, started at the first upload and kept for the next: parsing a large
 * workbook takes seconds of CPU, which on the main thread would stall live calls' audio. The worker's heap is
 * capped, so a file that gets past every limit and still needs too much memory ends that worker (then the next
 * upload starts another), never the server.
 */
export class FileReader {
  #worker?: Worker
  readonly #inboxes = new Map<number, Mailbox<FromWorker>>()
  #lastId = 0

  constructor (readonly limits: ReadLimits, readonly heapMb = 256) {}

  /** What the file is (from its first bytes, here), and its records as the worker parses them. */
  async open (path: string): Promise<OpenedFile> {
    const format = await sniffFile(path)
    return { format, rows: this.#rows(path, format) }
  }

  async * #rows (path: string, format: FileFormat): AsyncIterable<FileRow> {
    const worker = this.#started()
    const id = ++this.#lastId
    const inbox = new Mailbox<FromWorker>()
    this.#inboxes.set(id, inbox)
    const send = (message: ToWorker) => worker.postMessage(message)
    let finished = false
    try {
      send({ type: 'read', id, path, format, limits: this.limits })
      for (;;) {
        const message = await inbox.next()
        if ('error' in message) {
          finished = true
          throw message.error.statusCode
            ? new CustomerFileError(message.error.statusCode, message.error.message)
            : new Error(message.error.message)
        }
        if ('done' in message) {
          finished = true
          return
        }
        send({ type: 'more', id }) // the worker parses the next batch while this one is taken
        yield * message.rows
      }
    } finally {
      this.#inboxes.delete(id)
      if (!finished && this.#worker === worker) send({ type: 'cancel', id })
    }
  }

  #started (): Worker {
    if (this.#worker) return this.#worker
    const worker = new Worker(WORKER, { resourceLimits: { maxOldGenerationSizeMb: this.heapMb } })
    worker.on('message', (message: FromWorker) => this.#inboxes.get(message.id)?.push(message))
    worker.on('error', (error: Error & { code?: string }) => {
      const failure = {
        statusCode: TOO_LARGE[error.code!], // else a failure of ours: 500
        message: `Reading the file stopped: ${error.message} (a file may use ${this.heapMb} MB of memory to read)`
      }
      for (const [id, inbox] of this.#inboxes) inbox.push({ id, error: failure })
    })
    worker.on('exit', () => {
      if (this.#worker === worker) this.#worker = undefined
      for (const [id, inbox] of this.#inboxes) inbox.push({ id, error: { message: 'The file reader stopped' } })
    })
    this.#worker = worker
    return worker
  }

  /** Lets the worker finish its own way (so that what it was doing is flushed), and waits until it has. */
  async close () {
    const worker = this.#worker
    if (!worker) return
    this.#worker = undefined
    const exited = once(worker, 'exit')
    worker.postMessage({ type: 'close' } satisfies ToWorker)
    await exited
  }
}
