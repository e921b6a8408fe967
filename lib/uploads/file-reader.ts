import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { stat } from 'node:fs/promises'
import { setPriority } from 'node:os'
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseRows, sniffFile, type FileFormat, type FileRow, type ReadLimits } from './spreadsheet.js'
import { UploadError } from './upload-error.js'
import type { FromWorker, ToWorker } from './file-worker.js'
import { Mailbox } from './mailbox.js'

/** An uploaded file, opened: what it is, and its records, parsed off the main thread. */
export interface OpenedFile {
  format: FileFormat
  rows: AsyncIterable<FileRow>
}

/** The reader's entry has this file's own extension: `.ts` when run from source, `.js` once built. */
const WORKER = new URL(`./file-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url)

/**
 * The options of this process that the reader's needs too: those that load code (the TypeScript loader, when run
 * from source; tap's coverage), never one that runs code of its own (`-e`, `-p`: the reader would run it again,
 * and start a reader of its own).
 */
export function loaderOptions (execArgv: string[]): string[] {
  const kept: string[] = []
  for (let i = 0; i < execArgv.length; i++) {
    const option = execArgv[i]!
    if (/^--(import|loader|experimental-loader|require)=/.test(option) || option === '--enable-source-maps') kept.push(option)
    else if (/^(--import|--loader|--experimental-loader|--require|-r)$/.test(option)) kept.push(option, execArgv[++i]!)
  }
  return kept
}

/**
 * Reads uploaded files in one child process, started at the first upload and kept for the next: parsing a large
 * workbook takes seconds of CPU, which on the server's thread would stall live calls' audio. (A process, not a
 * worker thread: on Node 20 a worker thread does not get the TypeScript loader `npm run dev` runs under.) Its heap
 * is capped, so a file that gets past every limit and still needs too much memory ends that process (the next
 * upload starts another), never the server.
 */
export class FileReader {
  #child?: ChildProcess
  readonly #inboxes = new Map<number, Mailbox<FromWorker>>()
  #lastId = 0

  /**
   * `inlineBytes`: a file this small is parsed here, where it lands: its whole parse costs a few milliseconds,
   * less than handing it to the reader process (and, the first time, starting that process).
   */
  constructor (readonly limits: ReadLimits, readonly heapMb = 256, readonly inlineBytes = 64 * 1024) {}

  /** What the file is (from its first bytes, here), and its records as they are parsed. */
  async open (path: string): Promise<OpenedFile> {
    const [format, { size }] = await Promise.all([sniffFile(path), stat(path)])
    return { format, rows: size <= this.inlineBytes ? parseRows(path, format, this.limits) : this.#rows(path, format) }
  }

  async * #rows (path: string, format: FileFormat): AsyncIterable<FileRow> {
    const child = this.#started()
    const id = ++this.#lastId
    const inbox = new Mailbox<FromWorker>()
    this.#inboxes.set(id, inbox)
    // A message to a reader that is gone (closed, or dead) is dropped, not an 'error' event that would end the server:
    // its end comes to the inbox from 'exit'.
    const send = (message: ToWorker) => child.send(message, () => {})
    let finished = false
    try {
      send({ type: 'read', id, path, format, limits: this.limits })
      for (;;) {
        const message = await inbox.next()
        if ('error' in message) {
          finished = true
          throw message.error.statusCode
            ? new UploadError(message.error.statusCode, message.error.message)
            : new Error(message.error.message)
        }
        if ('done' in message) {
          finished = true
          return
        }
        send({ type: 'more', id }) // the reader parses the next batch while this one is taken
        yield * message.rows
      }
    } finally {
      this.#inboxes.delete(id)
      if (!finished) send({ type: 'cancel', id })
    }
  }

  #started (): ChildProcess {
    if (this.#child) return this.#child
    const child = fork(fileURLToPath(WORKER), [], {
      execArgv: [...loaderOptions(process.execArgv), `--max-old-space-size=${this.heapMb}`],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc']
    })
    // Below the server in the scheduler's eyes: when the cores are busy, live calls' audio comes first.
    setPriority(child.pid!, 10)
    let stderr = ''
    child.stderr!.on('data', (chunk: Buffer) => { stderr = (stderr + String(chunk)).slice(-4096) })
    child.on('message', (message: FromWorker) => this.#inboxes.get(message.id)?.push(message))
    child.on('exit', () => {
      if (this.#child === child) this.#child = undefined
      // V8 ends a process whose heap is full with "Reached heap limit" ("JavaScript heap out of memory").
      const failure = /heap limit|heap out of memory/i.test(stderr)
        ? { statusCode: 413, message: `Reading the file needed more than the ${this.heapMb} MB of memory a file may use` }
        : { message: 'The file reader stopped' }
      for (const [id, inbox] of this.#inboxes) inbox.push({ id, error: failure })
    })
    this.#child = child
    return child
  }

  /** Lets the reader finish its own way (so that what it was doing is flushed), and waits until it has. */
  async close () {
    const child = this.#child
    if (!child) return
    this.#child = undefined
    const exited = once(child, 'exit')
    child.disconnect()
    await exited
  }
}
