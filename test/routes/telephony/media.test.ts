import { once } from 'node:events'
import t from 'tap'
import WebSocket from 'ws'
import { applyReport, createCall, getCall } from '../../../lib/calls/calls.js'
import { openDatabase } from '../../../lib/db/database.js'
import { MediaTokens } from '../../../lib/live-call/media-token.js'
import { build } from '../../helper.js'

const TOKEN = 'webhook-token-for-media-tests'
const app = await build(t, { env: { EXOTEL_WEBHOOK_TOKEN: TOKEN } })
const base = await app.listen({ host: '127.0.0.1', port: 0 })
let calls = 0

/** A call Exotel has dialled, as the dialler leaves it. */
async function dialledCall () {
  const customerId = `MEDIA${++calls}`
  await app.db.query("INSERT INTO customer (id, name, phone) VALUES ($1, 'Media', '+919000000005')", [customerId])
  const call = await createCall(app.db, { customerId, customerName: 'Media', phone: '+919000000005', triggeredBy: 's', claimed: true })
  const sid = `${calls}`.padStart(32, 'a')
  await applyReport(app.db, { id: call.id }, { status: 'initiated', source: 'api', dedupeKey: 'dialled', exotelSid: sid })
  return { id: call.id, sid }
}

async function wsUrl (sid: string, extra = '') {
  const response = await app.inject({ url: `/ws-url?token=${TOKEN}&CallSid=${sid}${extra}` })
  return response.json().url as string
}

/** Opens a socket; answers it with the close code and reason once it closes. */
function open (url: string, headers: Record<string, string> = {}) {
  const socket = new WebSocket(url, { headers })
  const closed = once(socket, 'close').then(([code, reason]) => ({ code: code as number, reason: String(reason) }))
  return { socket, closed, opened: once(socket, 'open') }
}

const send = (socket: WebSocket, message: object) => socket.send(JSON.stringify(message))

t.test('/ws-url answers a wss URL for the call, as JSON or as text', async (t) => {
  const { sid } = await dialledCall()
  const json = await app.inject({ url: `/ws-url?token=${TOKEN}&CallSid=${sid}&sample-rate=16000` })
  t.equal(json.statusCode, 200)
  const url = new URL(json.json().url)
  t.equal(`${url.protocol}//${url.host}${url.pathname}`, `${base.replace('http', 'ws')}/media`)
  t.equal(url.searchParams.get('sample-rate'), '16000')
  t.match(url.searchParams.get('token'), /^[\w-]+\.[\w-]+$/)
  const text = await app.inject({ url: `/ws-url?token=${TOKEN}&CallSid=${sid}&sample-rate=11025`, headers: { accept: 'text/plain' } })
  t.match(text.headers['content-type'], /^text\/plain/)
  t.match(text.body, /^ws:\/\/127\.0\.0\.1:\d+\/media\?token=[\w.-]+&sample-rate=8000$/, 'an unknown rate falls back to 8000')

  t.equal((await app.inject({ url: `/ws-url?CallSid=${sid}` })).statusCode, 401, 'the webhook token is required')
  t.same((await app.inject({ url: `/ws-url?token=${TOKEN}&CallSid=unknown` })).json(), { success: false, message: 'Unknown call' })
  t.same((await app.inject({ url: `/ws-url?token=${TOKEN}&CustomField=${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}` })).json(),
    { success: false, message: 'Unknown call' }, 'nor by a CustomField that is not ours')
  t.equal((await app.inject({ url: `/ws-url?token=${TOKEN}&CustomField=not-a-call` })).statusCode, 404)
  t.equal((await app.inject({ url: `/ws-url?token=${TOKEN}` })).statusCode, 200, 'without CallSid: a URL all the same')
})

/** Starts a stream on `url` for the call `sid`, with Exotel's echo of the URL's query; answers the call once it has started. */
async function startStream (url: string, sid: string, id: string, streamSid: string) {
  const { socket, opened } = open(url)
  await opened
  const echoed = Object.fromEntries(new URL(url).searchParams)
  send(socket, { event: 'start', stream_sid: streamSid, start: { call_sid: sid, custom_parameters: echoed, media_format: {} } })
  for (let i = 0; i < 100 && (await getCall(app.db, id))!.events.every((e) => e.source !== 'media-stream'); i++) {
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  socket.close()
  return (await getCall(app.db, id))!
}

t.test('a stream whose /ws-url had no CallSid is bound to its call by the Sid in its start, or by our CustomField', async (t) => {
  const { id, sid } = await dialledCall()
  const unbound = (await app.inject({ url: `/ws-url?token=${TOKEN}&sample-rate=16000` })).json().url as string
  const call = await startStream(unbound, sid, id, '1'.repeat(32))
  const started = call.events.filter((event) => event.source === 'media-stream')
  t.same(started.map((event) => event.detail), [
    { stream_sid: '1'.repeat(32), encoding: 'pcm16', sample_rate: 16000, custom_parameters: { 'sample-rate': '16000' } }
  ], 'the stream started on its call; the echoed media token is kept out of the timeline')
  t.notMatch(JSON.stringify(call), new URL(unbound).searchParams.get('token')!, 'the token is nowhere on the call')

  const other = await dialledCall()
  const byField = (await app.inject({ url: `/ws-url?token=${TOKEN}&CustomField=${other.id}` })).json().url as string
  t.ok((await startStream(byField, other.sid, other.id, '2'.repeat(32))).events.some((event) => event.source === 'media-stream'), 'bound by CustomField')

  const third = await dialledCall()
  const wrong = (await app.inject({ url: `/ws-url?token=${TOKEN}&CustomField=${third.id}` })).json().url as string
  const strayed = await startStream(wrong, other.sid, third.id, '3'.repeat(32))
  t.notOk(strayed.events.some((event) => event.source === 'media-stream'), "a start for another call than the CustomField's is skipped")
  const unknown = (await app.inject({ url: `/ws-url?token=${TOKEN}` })).json().url as string
  const nobody = await startStream(unknown, 'f'.repeat(32), third.id, '4'.repeat(32))
  t.notOk(nobody.events.some((event) => event.source === 'media-stream'), 'a start for a call we do not know is skipped')
})

t.test("a stream's start, keys, marks and stop are recorded on the call; bad messages are skipped", async (t) => {
  const { id, sid } = await dialledCall()
  const url = await wsUrl(sid)
  // The database is busy a while (PGlite runs one query at a time): messages sent before the token is claimed wait.
  const busy = app.db.transaction(async () => { await new Promise((resolve) => setTimeout(resolve, 300)) })
  const { socket, opened, closed } = open(url)
  await opened
  send(socket, { event: 'connected' })
  send(socket, {
    event: 'start',
    sequence_number: '1',
    stream_sid: 'b'.repeat(32),
    start: {
      stream_sid: 'b'.repeat(32),
      call_sid: sid,
      account_sid: 'acme1',
      from: '09000000005',
      to: '08000000001',
      custom_parameters: { campaign: 'december' },
      media_format: { encoding: 'audio/x-raw', sample_rate: '8000', bit_rate: '16' }
    }
  })
  socket.send('not json at all')
  send(socket, { event: 'media', streamSid: 'b'.repeat(32), media: { chunk: '1', timestamp: '20', payload: Buffer.alloc(320).toString('base64') } })
  send(socket, { event: 'dtmf', stream_sid: 'b'.repeat(32), dtmf: { digit: '1', duration: '250' } })
  send(socket, { event: 'dtmf', stream_sid: 'b'.repeat(32), dtmf: { digit: '1', duration: 250 } })
  send(socket, { event: 'mark', stream_sid: 'b'.repeat(32), mark: { name: 'greeting' } })
  send(socket, { event: 'surprise', stream_sid: 'b'.repeat(32) })
  send(socket, { event: 'stop', stream_sid: 'b'.repeat(32), stop: { call_sid: sid, reason: 'callended' } })

  await busy
  let events: Array<{ source: string, detail: Record<string, unknown> }> = []
  for (let i = 0; i < 100; i++) {
    events = (await getCall(app.db, id))!.events.filter((event) => event.source === 'media-stream')
    if (events.length === 5) break
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  t.same(events.map((event) => event.detail), [
    { stream_sid: 'b'.repeat(32), encoding: 'pcm16', sample_rate: 8000, custom_parameters: { campaign: 'december' } },
    { digit: '1' },
    { digit: '1' },
    { mark: 'greeting' },
    { stream_sid: 'b'.repeat(32), reason: 'callended', audio_bytes: 320 }
  ], 'a key pressed twice is two events; the malformed and unknown messages are skipped')
  t.equal((await getCall(app.db, id))!.status, 'in-progress', 'a stream that started means the customer answered')
  socket.close()
  t.equal((await closed).code, 1005)
})

t.test('a missing, forged, expired or reused token closes the socket with 1008 before any audio', async (t) => {
  const { sid } = await dialledCall()
  const good = await wsUrl(sid)
  const { socket, opened } = open(good)
  await opened
  const reused = await open(good).closed
  t.same(reused, { code: 1008, reason: 'token already used' })
  socket.close()

  const url = new URL(good)
  url.searchParams.delete('token')
  t.same(await open(url.toString()).closed, { code: 1008, reason: 'missing token' })
  url.searchParams.set('token', new MediaTokens('another secret').issue('x', sid))
  t.same(await open(url.toString()).closed, { code: 1008, reason: 'forged token' })
  url.searchParams.set('token', new MediaTokens(TOKEN).issue('x', sid, Date.now() - 120_000))
  t.same(await open(url.toString()).closed, { code: 1008, reason: 'expired token' })
})

t.test("Exotel's Basic-auth form of the token is accepted too", async (t) => {
  const { id, sid } = await dialledCall()
  const url = new URL(await wsUrl(sid))
  const token = url.searchParams.get('token')!
  url.searchParams.delete('token')
  const { socket, opened } = open(url.toString(), { authorization: `Basic ${Buffer.from(`exotel:${token}`).toString('base64')}` })
  await opened
  send(socket, { event: 'start', stream_sid: 'c'.repeat(32), start: { call_sid: 'another call', media_format: {} } })
  send(socket, { event: 'start', stream_sid: 'c'.repeat(32), start: { call_sid: sid, media_format: { encoding: 'audio/x-mulaw' } } })
  for (let i = 0; i < 100 && (await getCall(app.db, id))!.events.every((e) => e.source !== 'media-stream'); i++) {
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const started = (await getCall(app.db, id))!.events.filter((e) => e.source === 'media-stream')
  t.match(started, [{ detail: { encoding: 'mulaw', sample_rate: 8000 } }], 'a start for another call is skipped')
  socket.close()
})

t.test('database failures: a token that cannot be checked closes with 1011; a message that cannot be recorded is logged', async (t) => {
  const { sid } = await dialledCall()
  await app.db.exec('ALTER TABLE media_token_use RENAME TO media_token_use_away')
  const refused = await open(await wsUrl(sid)).closed
  await app.db.exec('ALTER TABLE media_token_use_away RENAME TO media_token_use')
  t.same(refused, { code: 1011, reason: 'server error' })

  const { socket, opened } = open(await wsUrl(sid))
  await opened
  send(socket, { event: 'start', stream_sid: 'd'.repeat(32), start: { call_sid: sid, media_format: {} } })
  for (let i = 0; i < 100 && !(await app.db.query('SELECT 1 FROM call_conversation c JOIN call ON call.id = c.call_id WHERE exotel_sid = $1', [sid])).rows.length; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  await app.db.exec('ALTER TABLE call_event RENAME TO call_event_away')
  send(socket, { event: 'dtmf', stream_sid: 'd'.repeat(32), dtmf: { digit: '5' } })
  await new Promise((resolve) => setTimeout(resolve, 200))
  await app.db.exec('ALTER TABLE call_event_away RENAME TO call_event')
  send(socket, { event: 'dtmf', stream_sid: 'd'.repeat(32), dtmf: { digit: '6' } })
  const { rows } = await app.db.query<{ digit: string }>(
    "SELECT detail->>'digit' AS digit FROM call_event e JOIN call c ON c.id = e.call_id WHERE c.exotel_sid = $1 AND e.detail ? 'digit'", [sid])
  for (let i = 0; i < 50 && rows.length === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    rows.push(...(await app.db.query<{ digit: string }>(
      "SELECT detail->>'digit' AS digit FROM call_event e JOIN call c ON c.id = e.call_id WHERE c.exotel_sid = $1 AND e.detail ? 'digit'", [sid])).rows)
  }
  t.same(rows.map((row) => row.digit), ['6'], 'the stream went on after the failure')
  socket.close()
})

t.test('a server that closes mid-stream ends the stream and records why before its database closes', async (t) => {
  const dataDir = t.testdir()
  const other = await build(t, { env: { EXOTEL_WEBHOOK_TOKEN: TOKEN, DATA_DIR: dataDir } })
  await other.listen({ host: '127.0.0.1', port: 0 })
  await other.db.query("INSERT INTO customer (id, name, phone) VALUES ('CLOSING', 'Closing', '+919000000005')")
  const call = await createCall(other.db, { customerId: 'CLOSING', customerName: 'Closing', phone: '+919000000005', triggeredBy: 's', claimed: true })
  const sid = 'e'.repeat(32)
  await applyReport(other.db, { id: call.id }, { status: 'initiated', source: 'api', dedupeKey: 'dialled', exotelSid: sid })
  const url = (await other.inject({ url: `/ws-url?token=${TOKEN}&CallSid=${sid}` })).json().url as string
  const { socket, opened } = open(url)
  await opened
  send(socket, { event: 'start', stream_sid: 'f'.repeat(32), start: { call_sid: sid, media_format: {} } })
  await once(socket, 'message') // the assistant talks: the stream has started
  await other.close()
  const db = await openDatabase({ dataDir })
  t.teardown(() => db.close())
  t.same((await db.query('SELECT stop_reason FROM call_conversation WHERE call_id = $1', [call.id])).rows, [{ stop_reason: 'server closing' }])
})

t.test('a call that has ended keeps its record: no stream URL for it, and a stream for it is refused', async (t) => {
  const { id, sid } = await dialledCall()
  const url = await wsUrl(sid) // asked for while the call was live
  await applyReport(app.db, { id }, { status: 'completed', source: 'exotel-callback', dedupeKey: 'terminal', durationSeconds: 30 })
  const late = await app.inject({ url: `/ws-url?token=${TOKEN}&CallSid=${sid}` })
  t.equal(late.statusCode, 409)
  t.same(late.json(), { success: false, message: 'The call has ended (completed): nothing may be streamed for it' })
  t.equal((await app.inject({ url: `/ws-url?token=${TOKEN}&CustomField=${id}` })).statusCode, 409, 'nor by our CustomField')

  const before = (await getCall(app.db, id))!.events.length
  const { socket, opened, closed } = open(url)
  await opened
  send(socket, { event: 'start', stream_sid: 'e'.repeat(32), start: { call_sid: sid, media_format: {} } })
  send(socket, { event: 'dtmf', stream_sid: 'e'.repeat(32), dtmf: { digit: '2' } })
  t.same(await closed, { code: 1008, reason: 'the call has ended' })
  const after = (await getCall(app.db, id))!
  t.equal(after.events.length, before, 'nothing added to its timeline')
  t.equal(after.conversation, null, 'and no conversation written')
})

t.test('what one stream may record is bounded: 2,000 keys write at most 300 timeline entries and 200 keys', async (t) => {
  const { id, sid } = await dialledCall()
  const { socket, opened, closed } = open(await wsUrl(sid))
  await opened
  const streamSid = 'f'.repeat(32)
  send(socket, { event: 'start', stream_sid: streamSid, start: { call_sid: sid, media_format: {} } })
  for (let i = 0; i < 2000; i++) send(socket, { event: 'dtmf', stream_sid: streamSid, dtmf: { digit: String(i % 10) } })
  send(socket, { event: 'stop', stream_sid: streamSid, stop: { reason: 'callended' } })
  let call = (await getCall(app.db, id))!
  for (let i = 0; i < 300 && !call.events.some((event) => event.detail.reason === 'callended'); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    call = (await getCall(app.db, id))!
  }
  const entries = call.events.filter((event) => event.source === 'media-stream')
  t.equal(entries.length, 301, 'the start, 299 keys, and the stop, which is always written')
  t.match(entries.at(-1), { detail: { reason: 'callended' } })
  t.equal(call.conversation?.dtmf.length, 200)
  socket.close()
  await closed
})
