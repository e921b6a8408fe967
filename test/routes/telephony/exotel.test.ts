import t from 'tap'
import { applyReport, createCall } from '../../../lib/calls/calls.js'
import { build } from '../../helper.js'

const app = await build(t, { env: { EXOTEL_WEBHOOK_TOKEN: 'webhook-token-for-tests' } })
const token = 'webhook-token-for-tests'
let customers = 0

/** A call Exotel has accepted, as the dialler leaves it: initiated, with its Sid. */
async function dialledCall () {
  const customerId = `WEBHOOK${++customers}`
  await app.db.query("INSERT INTO customer (id, name, phone) VALUES ($1, 'Test', '+919000000005')", [customerId])
  const call = await createCall(app.db, { customerId, customerName: 'Test', phone: '+919000000005', triggeredBy: 'sub' })
  const sid = `${customers}`.padStart(32, 'f')
  await applyReport(app.db, { id: call.id }, { status: 'initiated', source: 'api', dedupeKey: 'dialled', exotelSid: sid })
  return { id: call.id, sid, customerId }
}

const callOf = async (id: string) =>
  (await app.db.query<{ status: string, duration_seconds: number | null, answered_by: string | null, recording_url: string | null }>(
    'SELECT status, duration_seconds, answered_by, recording_url FROM call WHERE id = $1', [id])).rows[0]!

function multipart (fields: Record<string, string | Blob>) {
  const form = new FormData()
  for (const [key, value] of Object.entries(fields)) form.set(key, value)
  const response = new Response(form)
  return { response, contentType: response.headers.get('content-type')! }
}

async function postMultipart (fields: Record<string, string | Blob>, query = `token=${token}`) {
  const { response, contentType } = multipart(fields)
  return app.inject({
    method: 'POST',
    url: `/exotel-webhook?${query}`,
    payload: Buffer.from(await response.arrayBuffer()),
    headers: { 'content-type': contentType }
  })
}

t.test('a terminal callback as Exotel sends it by default: multipart, legs flattened, numbers as text', async (t) => {
  const { id, sid, customerId } = await dialledCall()
  const response = await postMultipart({
    CallSid: sid,
    EventType: 'terminal',
    Status: 'completed',
    ConversationDuration: '42',
    RecordingUrl: 'https://recordings.exotel.com/x.mp3',
    'Legs[0][Status]': 'completed',
    'Legs[0][OnCallDuration]': '45',
    'Legs[0][AnsweredBy]': 'HUMAN',
    DateUpdated: '2026-11-25 17:00:00',
    attachment: new Blob(['a file part is read and dropped'])
  })
  t.equal(response.statusCode, 200)
  t.same(response.json(), { success: true, message: 'Call completed' })
  t.same(await callOf(id), {
    status: 'completed', duration_seconds: 42, answered_by: 'human', recording_url: 'https://recordings.exotel.com/x.mp3'
  })
  const customer = await app.db.query('SELECT last_call_status FROM customer WHERE id = $1', [customerId])
  t.equal(customer.rows[0]!.last_call_status, 'completed')

  const repeated = await postMultipart({ CallSid: sid, EventType: 'terminal', Status: 'completed' })
  t.same(repeated.json(), { success: true, message: 'Already recorded' }, 'a repeated callback changes nothing')
  const late = await app.inject({
    method: 'POST', url: `/exotel-webhook?token=${token}`, payload: { CallSid: sid, EventType: 'answered', Status: 'in-progress' }
  })
  t.same(late.json(), { success: true, message: 'Already recorded' }, 'a late answered event does not reopen the call')
  t.equal((await callOf(id)).status, 'completed')
})

t.test('JSON and urlencoded callbacks, with the fallbacks real senders use', async (t) => {
  const json = await dialledCall()
  const answered = await app.inject({
    method: 'POST',
    url: `/exotel-webhook?token=${token}`,
    payload: { CallSid: json.sid, EventType: 'answered', Legs: [{ Status: 'in-progress', AnsweredBy: 'NA' }] }
  })
  t.same(answered.json(), { success: true, message: 'Call in-progress' })
  const ended = await app.inject({
    method: 'POST',
    url: `/exotel-webhook?token=${token}`,
    payload: { CallSid: json.sid, EventType: 'terminal', Legs: [{ Status: 'busy', OnCallDuration: 7, AnsweredBy: 'Machine' }], RecordingUrl: 'null' }
  })
  t.same(ended.json(), { success: true, message: 'Call busy' }, 'the leg status when Status is absent')
  t.same(await callOf(json.id), { status: 'busy', duration_seconds: 7, answered_by: 'machine', recording_url: null })

  const form = await dialledCall()
  const urlencoded = await app.inject({
    method: 'POST',
    url: `/exotel-webhook?token=${token}`,
    payload: new URLSearchParams({ CallSid: form.sid, CallStatus: 'no-answer', DialCallDuration: '0' }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' }
  })
  t.same(urlencoded.json(), { success: true, message: 'Call no-answer' }, 'CallStatus and DialCallDuration as fallbacks')
  t.same(await callOf(form.id), { status: 'no-answer', duration_seconds: 0, answered_by: null, recording_url: null })
})

t.test('the token is required on both URLs, and bad input is a 400, never a 500', async (t) => {
  const { sid } = await dialledCall()
  for (const query of ['', 'token=wrong', `token=${token}x`]) {
    const posted = await app.inject({ method: 'POST', url: `/exotel-webhook?${query}`, payload: { CallSid: sid, Status: 'completed' } })
    t.equal(posted.statusCode, 401, `webhook ${query}`)
    t.same(posted.json(), { success: false, message: 'Missing or wrong webhook token' })
    t.equal((await app.inject({ url: `/passthru-handler?CallSid=${sid}&${query}` })).statusCode, 401, `passthru ${query}`)
  }
  t.equal((await callOf((await dialledCall()).id)).status, 'initiated')

  const bad: Array<[string, object | string, string?]> = [
    ['no CallSid', { Status: 'completed' }],
    ['an unknown status', { CallSid: sid, Status: 'exploded' }],
    ['no status', { CallSid: sid }],
    ['an array', [1, 2]],
    ['broken multipart', '--x\r\nContent-Disposition: form-data; name="CallSid"\r\n\r\nabc', 'multipart/form-data; boundary=x']
  ]
  for (const [name, payload, contentType] of bad) {
    const response = await app.inject({
      method: 'POST',
      url: `/exotel-webhook?token=${token}`,
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
      headers: { 'content-type': contentType ?? 'application/json' }
    })
    t.equal(response.statusCode, 400, name)
    t.equal(response.json().success, false, name)
  }
  const unknown = await postMultipart({ CallSid: 'e'.repeat(32), Status: 'completed' })
  t.same(unknown.json(), { success: true, message: 'Unknown call; ignored' })
})

t.test("a callback that beats the dial's answer finds its call by CustomField, and records the Sid", async (t) => {
  // Being dialled: Exotel has placed the call, and we have not yet recorded the Sid it answered.
  const customerId = `WEBHOOK${++customers}`
  await app.db.query("INSERT INTO customer (id, name, phone) VALUES ($1, 'Test', '+919000000001')", [customerId])
  const call = await createCall(app.db, { customerId, customerName: 'Test', phone: '+919000000001', triggeredBy: 'sub' })
  const sid = 'b'.repeat(32)
  const busy = await postMultipart({ CallSid: sid, CustomField: call.id, EventType: 'terminal', Status: 'busy' })
  t.same(busy.json(), { success: true, message: 'Call busy' })
  const row = async () => (await app.db.query('SELECT status, exotel_sid, dialled_at, ended_at FROM call WHERE id = $1', [call.id])).rows[0]!
  t.match(await row(), { status: 'busy', exotel_sid: sid, dialled_at: null })

  // The dial's answer, recorded after: on the timeline, and the status stays where the callback left it.
  const dialled = await applyReport(app.db, { id: call.id }, { status: 'initiated', source: 'api', dedupeKey: 'dialled', exotelSid: sid })
  t.match(dialled, { changed: false, call: { status: 'busy', exotel_sid: sid } })
  t.ok((await row()).dialled_at instanceof Date, 'when it was dialled is still kept')
  const again = await postMultipart({ CallSid: sid, CustomField: call.id, EventType: 'terminal', Status: 'busy' })
  t.same(again.json(), { success: true, message: 'Already recorded' }, 'found by its Sid from then on')

  // A CustomField never takes over a call Exotel gave another Sid, nor names anything but one of our ids.
  const other = await dialledCall()
  for (const customField of [other.id, 'not-an-id', '']) {
    const stray = await postMultipart({ CallSid: 'c'.repeat(32), CustomField: customField, EventType: 'terminal', Status: 'completed' })
    t.same(stray.json(), { success: true, message: 'Unknown call; ignored' }, `CustomField ${JSON.stringify(customField)}`)
  }
  t.match(await callOf(other.id), { status: 'initiated' })
})

t.test('Passthru records the flow reaching us: answered, with digits and stream details', async (t) => {
  const { id, sid } = await dialledCall()
  const query = new URLSearchParams({
    token,
    CallSid: sid,
    CallFrom: '09000000005',
    CallType: 'call-attempt',
    digits: '"1"',
    'Stream[StreamSID]': 'abc',
    'Stream[Status]': 'completed',
    flow_id: '1',
    EndTime: '1970-01-01 05:30:00'
  })
  const response = await app.inject({ url: `/passthru-handler?${query}` })
  t.equal(response.statusCode, 200)
  t.same(response.json(), { success: true, message: 'OK' })
  t.equal((await callOf(id)).status, 'in-progress')
  const events = await app.db.query<{ source: string, detail: object }>(
    "SELECT source, detail FROM call_event WHERE call_id = $1 AND source = 'passthru'", [id])
  t.same(events.rows[0]!.detail, { digits: '1', stream: { StreamSID: 'abc', Status: 'completed' } })

  const json = new URLSearchParams({ token, CallSid: sid, CallStatus: 'completed', Stream: '{"StreamSID":"abc","Duration":12}' })
  await app.inject({ url: `/passthru-handler?${json}` })
  t.equal((await callOf(id)).status, 'completed', 'CallStatus when the flow reports one')
  const notJson = new URLSearchParams({ token, CallSid: sid, Stream: 'not json' })
  t.equal((await app.inject({ url: `/passthru-handler?${notJson}` })).statusCode, 200)

  t.equal((await app.inject({ url: `/passthru-handler?token=${token}` })).statusCode, 400, 'no CallSid')
  t.same((await app.inject({ url: `/passthru-handler?token=${token}&CallSid=unknown` })).json(), { success: true, message: 'OK' },
    'an unknown call still gets its quick 200')
})

t.test("the stream Passthru's JSON POST: stream-start and stream-stop on the call's timeline, without the URL or the numbers", async (t) => {
  const { id, sid } = await dialledCall()
  const post = (body: object, query = `token=${token}`) => app.inject({ method: 'POST', url: `/passthru-handler?${query}`, payload: body })
  const start = {
    CallSid: sid,
    StreamSid: 'a'.repeat(32),
    StreamUrl: 'wss://calls.example.in/media?token=secret-media-token',
    EventType: 'stream-start',
    From: '09000000005',
    To: '08000000001',
    Direction: 'outbound-api',
    SomethingNew: 'accepted'
  }
  t.same((await post(start)).json(), { success: true, message: 'OK' })
  t.same((await post(start)).json(), { success: true, message: 'OK' }, 'a repeat is recorded once')
  t.same((await post({ ...start, EventType: 'stream-stop' })).json(), { success: true, message: 'OK' })
  t.equal((await callOf(id)).status, 'in-progress')
  const { rows } = await app.db.query<{ detail: object }>(
    "SELECT detail FROM call_event WHERE call_id = $1 AND source = 'passthru' ORDER BY id", [id])
  t.same(rows.map((row) => row.detail), [
    { event_type: 'stream-start', stream_sid: 'a'.repeat(32), direction: 'outbound-api' },
    { event_type: 'stream-stop', stream_sid: 'a'.repeat(32), direction: 'outbound-api' }
  ])
  const form = await app.inject({
    method: 'POST',
    url: `/passthru-handler?token=${token}`,
    payload: new URLSearchParams({ CallSid: sid, EventType: 'stream-start', StreamSid: 'b'.repeat(32) }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' }
  })
  t.equal(form.statusCode, 200, 'urlencoded as well')
  t.equal((await post(start, 'token=wrong')).statusCode, 401)
  t.same((await post({ StreamSid: 'x' })).json(), { success: false, message: 'CallSid is missing' })
  t.same((await post({ CallSid: sid, EventType: '' })).json(), { success: false, message: 'EventType is missing' })
  t.same((await post({ ...start, CallSid: 'unknown' })).json(), { success: true, message: 'OK' }, 'an unknown call gets its 200')
  t.same((await post({ CallSid: sid, EventType: 'stream-stop' })).json(), { success: true, message: 'OK' }, 'without a StreamSid too')
})
