// @ts-check
// The embedded engine's own thread (started by lib/db/pglite.ts): PGlite runs its queries synchronously in WASM,
// so on the server's main thread every query would stall the live calls' audio. Here it answers requests posted
// to it, one connection as before: a transaction holds the engine until it ends.
// (JavaScript, type-checked from its JSDoc: a worker is started from a file, and Node runs .js files as they are.)
import { parentPort, workerData } from 'node:worker_threads'
import { PGlite } from '@electric-sql/pglite'

/** @typedef {import('./pglite.js').Request} Request */
/** @typedef {import('./pglite.js').Reply} Reply */
/** @typedef {import('@electric-sql/pglite').Transaction} Transaction */

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort)
const { dataDir, startFrom, pgliteWasmModule, fsBundle } =
  /** @type {{ dataDir: string, startFrom?: Blob, pgliteWasmModule: any, fsBundle: Blob }} */ (workerData)
const pglite = await PGlite.create(dataDir, { loadDataDir: startFrom, pgliteWasmModule, fsBundle })

class RolledBack extends Error {}
/** @type {Map<number, { tx: Transaction, end: (commit: boolean) => void, ended: Promise<unknown> }>} */
const transactions = new Map()
/** @type {Map<number, () => Promise<void>>} */
const listeners = new Map()
let nextTransaction = 1

/**
 * An error as the main thread rebuilds it: its message and PostgreSQL's fields (code, detail, constraint…).
 * @param {unknown} error
 */
function describe (error) {
  const fields = Object.entries(/** @type {object} */ (error)).filter(([, value]) => typeof value === 'string' || typeof value === 'number')
  return { ...Object.fromEntries(fields), message: /** @type {Error} */ (error).message }
}

/** Opens a transaction that holds the engine until `end` says to commit or roll it back. */
async function begin () {
  const id = nextTransaction++
  /** @type {(value?: unknown) => void} */
  let started
  const running = new Promise((resolve) => { started = resolve })
  const ended = pglite.transaction(async (tx) => {
    const commit = new Promise((resolve) => transactions.set(id, { tx, end: resolve, ended }))
    started()
    if (!await commit) throw new RolledBack()
  }).catch((error) => { if (!(error instanceof RolledBack)) throw error })
  await Promise.race([running, ended]) // BEGIN itself may fail
  return id
}

/** @param {Request} request */
async function answer (request) {
  const client = request.tx ? /** @type {Transaction} */ (transactions.get(request.tx)?.tx) : pglite
  switch (request.op) {
    case 'query': {
      const result = await client.query(request.sql, request.params)
      return { rows: result.rows, rowCount: result.rowCount ?? result.rows.length }
    }
    case 'exec':
      await client.exec(request.sql)
      return undefined
    case 'begin':
      return await begin()
    case 'end': {
      const transaction = transactions.get(/** @type {number} */ (request.tx))
      transactions.delete(/** @type {number} */ (request.tx))
      transaction?.end(request.commit)
      await transaction?.ended
      return undefined
    }
    case 'listen':
      listeners.set(request.listener, await pglite.listen(request.channel, (payload) => {
        port.postMessage(/** @type {Reply} */ ({ listener: request.listener, payload }))
      }))
      return undefined
    case 'unlisten':
      await listeners.get(request.listener)?.()
      listeners.delete(request.listener)
      return undefined
    case 'close':
      await pglite.close()
      return undefined
  }
}

port.on('message', (/** @type {Request} */ request) => {
  answer(request).then(
    (result) => {
      port.postMessage(/** @type {Reply} */ ({ id: request.id, result }))
      if (request.op === 'close') process.exit(0) // (ends this thread alone)
    },
    (error) => port.postMessage(/** @type {Reply} */ ({ id: request.id, error: describe(error) }))
  )
})
port.postMessage(/** @type {Reply} */ ({ ready: true }))
