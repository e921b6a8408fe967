import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders } from 'node:http'

/** A customer's system: answers as `mode` says, and keeps what it was sent. */
export async function receiver (t: { teardown (fn: () => unknown): void }) {
  const received: Array<{ headers: IncomingHttpHeaders, body: string }> = []
  const state = { mode: 'ok' as 'ok' | 'fail' | 'silent' | 'slow', open: 0, mostOpen: 0 }
  const server = createServer((request, response) => {
    let body = ''
    state.mostOpen = Math.max(state.mostOpen, ++state.open)
    response.on('close', () => state.open--)
    request.on('data', (chunk) => { body += chunk })
    request.on('end', () => {
      received.push({ headers: request.headers, body })
      if (state.mode === 'silent') return // never answers
      response.statusCode = state.mode === 'fail' ? 500 : 204
      setTimeout(() => response.end(), state.mode === 'slow' ? 300 : 0)
    })
  }).listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { server.closeAllConnections(); server.close() })
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hooks`, received, state }
}
