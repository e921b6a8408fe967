import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { createCall } from '../../../lib/calls/calls.js'
import { openDatabase } from '../../../lib/db/database.js'
import { build, capturingLogger, engines, FAST_CALLS, freshPostgresDatabase, multipartFile, testUsers } from '../../helper.js'

/** Reads server-sent events from a stream; `next(match)` waits for the first event (after those read) that matches. */
async function eventStream (url: string, token: string) {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } })
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  const raw: string[] = []
  async function nextBlock (): Promise<string> {
    while (!buffer.includes('\n\n')) {
      const { value, done } = await reader.read()
      if (done) throw new Error('the stream ended')
      buffer += decoder.decode(value, { stream: true })
    }
    const at = buffer.indexOf('\n\n')
    const block = buffer.slice(0, at)
    buffer = buffer.slice(at + 2)
    raw.push(block)
    return block
  }
  return {
    response,
    raw,
    async next (match: (event: { type: string, data: Record<string, unknown> }) => boolean) {
      for (;;) {
        const block = await nextBlock()
        const type = /^event: (\w+)$/m.exec(block)?.[1]
        const data = /^data: (.*)$/m.exec(block)?.[1]
        if (type && data) {
          const event = { type, data: JSON.parse(data) as Record<string, unknown> }
          if (match(event)) return event
        }
      }
    },
    nextBlock,
    close: () => reader.cancel()
  }
}

async function listeningApp (t: Parameters<typeof build>[0], env: Record<string, string>) {
  const { lines, logger } = capturingLogger()
  const app = await build(t, {
    logger, env: { EXOTEL_SIMULATOR_RING_MS: '50', EXOTEL_SIMULATOR_TALK_MS: '50', EVENTS_HEARTBEAT_SECONDS: '1', ...env }
  })
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  const { access_token: token } = await testUsers(app, lines).signedIn()
  return { app, base, token: token as string, lines }
}

for (const engine of engines) {
  t.test(`${engine.name}: a call's every change arrives on the event stream, batches too`, async (t) => {
    const { app, base, token } = await listeningApp(t, await engine.env(t))
    const { payload, headers } = multipartFile('customer_id,name,phone\nE1,Event One,9000000005\nE2,Event Two,9000000015\n')
    await app.inject({ method: 'POST', url: '/api/upload-customers', payload, headers: { ...headers, authorization: `Bearer ${token}` } })
    const stream = await eventStream(`${base}/api/events`, token)
    t.teardown(() => stream.close())
    t.equal(stream.response.headers.get('content-type'), 'text/event-stream')

    const started = await app.inject({
      method: 'POST', url: '/api/trigger-single-call', payload: { customer_id: 'E1' }, headers: { authorization: `Bearer ${token}` }
    })
    const id = started.json().call.id
    const seen: string[] = []
    await stream.next((event) => {
      if (event.type === 'call' && event.data.id === id) seen.push(event.data.status as string)
      return event.data.status === 'completed'
    })
    t.same(seen, ['queued', 'initiated', 'in-progress', 'completed'])

    const batch = await app.inject({
      method: 'POST', url: '/api/trigger-bulk-calls', payload: { customer_ids: ['E2'] }, headers: { authorization: `Bearer ${token}` }
    })
    const batchId = batch.json().batch_id
    const filtered = await eventStream(`${base}/api/events?batch_id=${batchId}`, token)
    t.teardown(() => filtered.close())
    // The batch's own 'queued' event may reach the filtered stream before or after its call's first change (on
    // PostgreSQL the notification can come after the stream opened): whichever come first, all are the batch's.
    const before: Array<{ type: string, data: Record<string, unknown> }> = []
    const first = await filtered.next((event) => {
      if (event.type === 'call') return true
      before.push(event)
      return false
    })
    t.match(first, { type: 'call', data: { customer_id: 'E2', batch_id: batchId } }, 'only that batch\'s events')
    t.ok(before.every((event) => event.type === 'batch' && event.data.id === batchId), 'and its batch\'s own')
    t.match(await stream.next((event) => event.type === 'batch'), { data: { id: batchId, change: 'queued', calls: 1 } })
    await app.inject({ method: 'POST', url: '/api/trigger-single-call', payload: { customer_id: 'E1' }, headers: { authorization: `Bearer ${token}` } })
    await app.inject({ method: 'POST', url: `/api/batches/${batchId}/cancel`, headers: { authorization: `Bearer ${token}` } })
    t.match(await filtered.next((event) => event.type === 'batch'), { data: { id: batchId, change: 'canceled' } },
      'the single call in between was left out')
  })
}

t.test("a live call's conversation streams too, within its batch; a notification that is not JSON is skipped", async (t) => {
  const { app, base, token, lines } = await listeningApp(t, FAST_CALLS)
  const { payload, headers } = multipartFile('customer_id,name,phone\nC1,Chat One,9000000000\n')
  await app.inject({ method: 'POST', url: '/api/upload-customers', payload, headers: { ...headers, authorization: `Bearer ${token}` } })
  await app.db.query("SELECT pg_notify('vcm_events', 'not json')")
  const batch = await app.inject({
    method: 'POST', url: '/api/trigger-bulk-calls', payload: { customer_ids: ['C1'] }, headers: { authorization: `Bearer ${token}` }
  })
  const batchId = batch.json().batch_id
  const stream = await eventStream(`${base}/api/events?batch_id=${batchId}`, token)
  t.teardown(() => stream.close())
  const change = await stream.next((event) => event.type === 'conversation' && Boolean(event.data.outcome))
  t.match(change.data, { batch_id: batchId, outcome: { result: 'confirmed', detail: { digit: '1' } } })
  t.ok(lines.some((line) => line.includes('a notification that is not JSON was skipped')))
})

t.test('the stream needs a token, keeps itself alive, and ends when the server closes', async (t) => {
  const { app, base, token } = await listeningApp(t, {})
  t.equal((await fetch(`${base}/api/events`)).status, 401)
  const stream = await eventStream(`${base}/api/events`, token)
  t.equal(await stream.nextBlock(), ': connected')
  t.equal(await stream.nextBlock(), ': heartbeat', 'a comment line every EVENTS_HEARTBEAT_SECONDS')
  await app.close()
  await t.rejects(stream.nextBlock(), /the stream ended/)
})

t.test('postgres: every instance streams every change, and a lost listening connection comes back', {
  skip: process.env.TEST_DATABASE_URL ? false : 'no PostgreSQL server (TEST_DATABASE_URL)'
}, async (t) => {
  const DATABASE_URL = await freshPostgresDatabase(t)
  const DATA_DIR = await mkdtemp(path.join(tmpdir(), 'vcm-events-'))
  t.teardown(() => rm(DATA_DIR, { recursive: true, force: true }))
  const one = await listeningApp(t, { DATABASE_URL, DATA_DIR })
  const { endpoint, userPoolId } = one.lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'local Cognito emulator started')
  const { clientId } = JSON.parse(await readFile(path.join(DATA_DIR, 'cognito', 'pool.json'), 'utf8'))
  const { lines, logger } = capturingLogger()
  const two: FastifyInstance = await build(t, {
    logger,
    env: { DATABASE_URL, COGNITO_USER_POOL_ID: userPoolId, COGNITO_ENDPOINT: endpoint, COGNITO_CLIENT_ID: clientId }
  })
  const twoBase = await two.listen({ host: '127.0.0.1', port: 0 })
  const stream = await eventStream(`${twoBase}/api/events`, one.token)
  t.teardown(() => stream.close())

  await one.app.db.query("INSERT INTO customer (id, name, phone) VALUES ('P1', 'x', '+919000000005'), ('P2', 'y', '+919000000015')")
  const call = await createCall(one.app.db, { customerId: 'P1', customerName: 'x', phone: '+919000000005', triggeredBy: 's', claimed: true })
  t.match(await stream.next(() => true), { type: 'call', data: { id: call.id, status: 'queued' } }, 'made on one, seen on two')

  const admin = await openDatabase({ url: process.env.TEST_DATABASE_URL, dataDir: 'unused' })
  t.teardown(() => admin.close())
  const name = new URL(DATABASE_URL).pathname.slice(1)
  // The database refuses new connections for a while: the listener's first attempts to come back fail.
  await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`)
  await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'LISTEN%'", [name])
  const losses = () => lines.filter((l) => l.includes('"level":40') && l.includes('database connection lost')).length
  for (let i = 0; i < 200 && losses() < 2; i++) await new Promise((resolve) => setTimeout(resolve, 20))
  t.ok(losses() >= 2, 'the loss and the failed attempt to reconnect are logged as warnings')
  await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`)
  await new Promise((resolve) => setTimeout(resolve, 1500)) // the next attempt, a second later, succeeds
  const later = await createCall(one.app.db, { customerId: 'P2', customerName: 'y', phone: '+919000000015', triggeredBy: 's', claimed: true })
  t.match(await stream.next((event) => event.data.id === later.id), { data: { status: 'queued' } }, 'and events flow again')
})
