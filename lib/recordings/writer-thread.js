// @ts-check
// The recordings' own thread (started by lib/recordings/writer.ts): interleaving each second of every call into
// stereo samples, and writing it, would otherwise cost the main thread, where the live calls' audio is handled.
// Writes are synchronous here: this thread does nothing else, and they stay in order.
// (JavaScript, type-checked from its JSDoc: a worker is started from a file, and Node runs .js files as they are.)
import { closeSync, openSync, writeSync } from 'node:fs'
import { parentPort } from 'node:worker_threads'

/** @typedef {import('./writer.js').WriterRequest} WriterRequest */

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort)
/** @typedef {{ message: string, code?: string }} Failure */
/** @typedef {{ fd: number, header?: Uint8Array, failed?: Failure }} File */
/** @type {Map<number, File>} */
const files = new Map()

/**
 * One block of a file, interleaved and written; a failure is kept for the file's finish, and the next block goes on.
 * @param {import('./writer.js').Block} block
 */
function write (block) {
  const file = /** @type {File} */ (files.get(block.id))
  if (file.failed) return
  try {
    if (file.header) writeSync(file.fd, file.header, 0, file.header.length, 0)
    file.header = undefined
    // The customer on the left channel, the assistant on the right.
    const { left, right } = block
    const out = new Int16Array(left.length * 2)
    for (let i = 0; i < left.length; i++) {
      out[i * 2] = /** @type {number} */ (left[i])
      out[i * 2 + 1] = /** @type {number} */ (right[i])
    }
    writeSync(file.fd, out, 0, out.byteLength, block.offset)
  } catch (error) {
    const { message, code } = /** @type {NodeJS.ErrnoException} */ (error)
    file.failed = { message, code }
  }
}

/** @param {WriterRequest} request */
function handle (request) {
  switch (request.op) {
    case 'open':
      // The header goes with the first block: a file that fails then is told at its finish, like any other write.
      files.set(request.id, { fd: openSync(request.path, 'w', 0o600), header: request.header })
      return undefined
    case 'blocks':
      for (const block of request.blocks) write(block)
      return undefined
    case 'finish': {
      const file = /** @type {File} */ (files.get(request.id))
      files.delete(request.id)
      try {
        if (!file.failed) writeSync(file.fd, request.header, 0, request.header.length, 0)
      } finally {
        closeSync(file.fd)
      }
      return file.failed
    }
    case 'close':
      process.exit(0) // (ends this thread alone, when everything before it is written)
  }
}

port.on('message', (/** @type {WriterRequest} */ request) => {
  /** @type {Failure | undefined} */
  let failed
  try {
    failed = handle(request)
  } catch (error) {
    const { message, code } = /** @type {NodeJS.ErrnoException} */ (error)
    failed = { message, code } // (a file that could not be opened or closed: its blocks keep their own failures)
  }
  // Blocks are not answered: a failed write is told at the finish.
  if (request.op !== 'blocks') port.postMessage({ id: request.id, failed })
})
