import { once } from 'node:events'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { plainThread } from '../server/plain-thread.js'
import { privateDir } from '../server/private-dir.js'
import type { Database, QueryResult, Queryable } from './database.js'

/** What the main thread asks of the engine's thread (./pglite-thread.js). */
export type Request = { id: number, tx?: number } & (
  | { op: 'query', sql: string, params?: unknown[] }
  | { op: 'exec', sql: string }
  | { op: 'begin' }
  | { op: 'end', commit: boolean }
  | { op: 'listen', channel: string, listener: number }
  | { op: 'unlisten', listener: number }
  | { op: 'close' })

/** What it answers: a request's result or error, a notification for a listener, or that it is ready. */
export type Reply =
  | { id: number, result?: unknown, error?: Record<string, unknown> }
  | { listener: number, payload: string }
  | { ready: true }

type Ask = <T>(request: Request extends infer R ? R extends unknown ? Omit<R, 'id'> : never : never) => Promise<T>

// The thread's module, beside this one: JavaScript, which a worker runs from the sources as from the build.
const THREAD = new URL('./pglite-thread.js', import.meta.url)

/** The engine's files: its WebAssembly and the file system it starts with (share/, lib/). */
const ENGINE = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'))

/** Node's WebAssembly (TypeScript's ES library leaves it out): what compiling the engine needs. */
declare const WebAssembly: { compile (bytes: Uint8Array): Promise<object> }

let engine: Promise<{ pgliteWasmModule: object, fsBundle: Blob }> | undefined

/**
 * The engine's WebAssembly compiled, and its file system read, once a process: each database opened after the first
 * (a test's app, a restart) starts from them rather than compiling and reading them again on its thread.
 */
async function engineFiles () {
  engine ??= (async () => ({
    pgliteWasmModule: await WebAssembly.compile(await readFile(join(ENGINE, 'pglite.wasm'))),
    fsBundle: new Blob([await readFile(join(ENGINE, 'pglite.data'))])
  }))()
  return await engine
}

/** An error from the engine's thread, with PostgreSQL's fields (code, detail, constraint…) as PGlite gave them. */
function rebuild (described: Record<string, unknown>): Error {
  return Object.assign(new Error(String(described.message)), described)
}

/**
 * The embedded engine: PostgreSQL compiled to WASM, one connection, files in `dataDir` (or `memory://`). A new
 * database starts as a copy of `startFrom` (an archive from PGlite's `dumpDataDir`) when given.
 *
 * It runs on a thread of its own, so that its queries (synchronous WASM) never stall the main thread, where the
 * live calls' audio is handled. It answers as PGlite would there: one connection, which a transaction holds until
 * it ends.
 */
export async function openPglite (dataDir: string, startFrom?: Blob): Promise<Database> {
  if (!dataDir.startsWith('memory://')) await privateDir(dataDir)
  // Plain JavaScript: it starts without the loaders and preloads the server may run under (a test runner's cost
  // about 0.3 s of CPU a thread).
  const worker = plainThread(THREAD, { workerData: { dataDir, startFrom, ...await engineFiles() } })
  const pending = new Map<number, { resolve: (value: unknown) => void, reject: (error: Error) => void }>()
  const listeners = new Map<number, (payload: string) => void>()
  let nextId = 1
  let gone: Error | undefined

  // The thread ends at close, or when it crashes: then nothing pending will be answered.
  worker.on('exit', (code) => {
    gone ??= new Error(`The embedded database's thread stopped (exit code ${code})`)
    /* c8 ignore next: only a crashed thread leaves requests unanswered, and the tests cannot crash one */
    for (const { reject } of pending.values()) reject(gone)
    pending.clear()
  })
  worker.on('message', (reply: Reply) => {
    if ('listener' in reply) {
      listeners.get(reply.listener)?.(reply.payload)
      return
    }
    if (!('id' in reply)) return
    const waiting = pending.get(reply.id)!
    pending.delete(reply.id)
    // The thread keeps the process alive only while it has work to answer.
    if (pending.size === 0) worker.unref()
    if (reply.error) waiting.reject(rebuild(reply.error))
    else waiting.resolve(reply.result)
  })
  // Its first message says it is ready; an error first means the engine could not open the database. (An error
  // after that, a crash of the thread, is left unheard: it ends the process, as the engine's crash would have.)
  await new Promise<void>((resolve, reject) => {
    const ready = () => { worker.off('error', failed); resolve() }
    const failed = (error: Error) => { worker.off('message', ready); reject(error) }
    worker.once('message', ready)
    worker.once('error', failed)
  })
  worker.unref()

  const ask: Ask = async <T>(request: object) => {
    if (gone) throw gone
    const id = nextId++
    worker.postMessage({ ...request, id }) // (throws for parameters that cannot be sent: then nothing waits)
    if (pending.size === 0) worker.ref()
    return await new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
    })
  }
  const on = (tx?: number): Queryable => ({
    query: async <Row>(sql: string, params?: unknown[]) => await ask<QueryResult<Row>>({ op: 'query', sql, params, tx }),
    exec: async (sql) => { await ask({ op: 'exec', sql, tx }) }
  })
  let nextListener = 1

  return {
    engine: 'pglite',
    ...on(),
    async transaction (work) {
      const tx = await ask<number>({ op: 'begin' })
      let result
      try {
        result = await work(on(tx))
      } catch (error) {
        await ask({ op: 'end', tx, commit: false })
        throw error
      }
      await ask({ op: 'end', tx, commit: true })
      return result
    },
    async listen (channel, onMessage) {
      const listener = nextListener++
      listeners.set(listener, onMessage)
      await ask({ op: 'listen', channel, listener })
      return async () => {
        listeners.delete(listener)
        if (!gone) await ask({ op: 'unlisten', listener })
      }
    },
    async close () {
      if (gone) return
      const ended = once(worker, 'exit')
      await ask({ op: 'close' })
      gone = new Error('The embedded database is closed')
      worker.ref() // until it has ended
      await ended
    }
  }
}
