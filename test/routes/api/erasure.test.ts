import t from 'tap'
import { appWithCustomers, FAST_CALLS, testClock, until } from '../../helper.js'

// Zubeida's number answers and presses 2 (the simulator's choice for a number ending in 5).
const CSV = 'customer_id,name,phone,email,loan\nZQ1,Zubeida Quraishi,9000000105,zubeida@example.com,LN-778812\nK2,Kiran Rao,9000000205,,\nN3,,9000000305,,\n'

/** Every row of every table of the app, as text: what a search of the whole database would find. */
async function everything (db: { query: <R>(sql: string) => Promise<{ rows: R[] }> }) {
  const { rows: tables } = await db.query<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")
  const found: Record<string, string> = {}
  for (const { name } of tables) {
    const { rows } = await db.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM "${name}" t`)
    found[name] = rows.map((r) => r.row).join('\n')
  }
  return found
}

const holding = (tables: Record<string, string>, text: string) => Object.keys(tables).filter((name) => tables[name]!.includes(text)).sort()

t.test('deleting a customer erases them everywhere: only their do-not-call entry keeps their number', async (t) => {
  const clock = testClock()
  const { app, post, get, authorization } = await appWithCustomers(t, FAST_CALLS, CSV, { clock: clock.now })
  const single = await app.inject({
    method: 'POST', url: '/api/trigger-single-call', payload: { customer_id: 'ZQ1' }, headers: { authorization, 'idempotency-key': 'erasure-1' }
  })
  const callId = single.json().call.id as string
  await until(async () => (await get(`/api/calls/${callId}`)).json().call.conversation?.ended_at !== undefined &&
    (await get(`/api/calls/${callId}`)).json().call.status === 'completed', 'the call to end')
  const call = (await get(`/api/calls/${callId}`)).json().call
  t.ok(call.conversation.transcript.length > 0, 'a transcript to erase')
  // A campaign that names them, waiting for tomorrow: its call is queued, not dialled.
  const campaign = (await post('/api/campaigns', { name: 'Later', customer_ids: ['ZQ1', 'K2'], start_at: new Date(Date.now() + 86_400_000).toISOString() })).json().campaign
  const preview = (await get(`/api/campaigns/${campaign.id as string}/preview`)).json()
  t.equal((await post(`/api/campaigns/${campaign.id as string}/start`, { fingerprint: preview.fingerprint })).statusCode, 202)
  await post('/api/suppressions', { phones: ['9000000105'], reason: 'asked to be forgotten' })

  const before = await everything(app.db)
  t.ok(holding(before, '9000000105').length >= 4, `before: the number is in ${holding(before, '9000000105').join(', ')}`)

  const erased = await app.inject({ method: 'DELETE', url: '/api/customers/ZQ1', headers: { authorization } })
  t.same(erased.json(), { success: true, message: 'Customer deleted: their number, name and what was said is erased from 2 calls' })

  const after = await everything(app.db)
  t.same(holding(after, '9000000105'), ['suppression'], 'the number is only on the do-not-call list, which keeps them from being called')
  for (const text of ['Zubeida', 'Quraishi', 'zubeida@example.com', 'LN-778812']) t.same(holding(after, text), [], `"${text}" is nowhere`)
  t.same(holding(after, 'ZQ1'), ['audit_event'], 'their id only in the audit trail, which says they were deleted')

  // What is left counts, and names no one.
  const { rows } = await app.db.query<{ customer_id: string, status: string, outcome: string | null, transcript: unknown[] }>(
    `SELECT call.customer_id, call.status, conversation.outcome, conversation.transcript
     FROM call LEFT JOIN call_conversation conversation ON conversation.call_id = call.id WHERE call.phone = 'erased' ORDER BY call.created_at`)
  t.equal(rows.length, 2)
  t.match(rows[0], { customer_id: /^erased-/, status: 'completed', outcome: call.conversation.outcome, transcript: [] }, 'the answered call keeps its outcome')
  t.match(rows[1], { customer_id: rows[0]!.customer_id, status: 'canceled' }, 'the queued call is canceled, under the same new id')
  t.equal((await get('/api/calls')).json().total, 3, 'the calls still count (Kiran\'s queued one too)')
  t.equal((await get(`/api/campaigns/${campaign.id as string}`)).statusCode, 200, 'the campaign still reads')
  const again = await app.inject({
    method: 'POST', url: '/api/trigger-single-call', payload: { customer_id: 'ZQ1' }, headers: { authorization, 'idempotency-key': 'erasure-1' }
  })
  t.equal(again.statusCode, 404, 'the stored answer quoting them is gone: the repeat is a new request, for a customer that is no more')
})

t.test('a customer on a call cannot be erased until it ends', async (t) => {
  const { app, authorization } = await appWithCustomers(t, FAST_CALLS, CSV)
  await app.db.query(`INSERT INTO call (customer_id, customer_name, phone, status, triggered_by)
    VALUES ('K2', 'Kiran Rao', '+919000000205', 'in-progress', 'test')`)
  const refused = await app.inject({ method: 'DELETE', url: '/api/customers/K2', headers: { authorization } })
  t.same({ status: refused.statusCode, body: refused.json() },
    { status: 409, body: { success: false, message: 'A call to this customer is in progress: delete them when it has ended' } })
  t.equal((await app.db.query("SELECT 1 FROM customer WHERE id = 'K2'")).rowCount, 1, 'nothing was erased')
  const nameless = await app.inject({ method: 'DELETE', url: '/api/customers/N3', headers: { authorization } })
  t.equal(nameless.statusCode, 200, 'a customer with no name is erased too')
})

t.test('TRANSCRIPT_RETENTION_DAYS: transcripts older than that are emptied by the hourly sweep; outcomes stay', async (t) => {
  const clock = testClock()
  const { app, get, authorization, lines } = await appWithCustomers(t, { ...FAST_CALLS, TRANSCRIPT_RETENTION_DAYS: '30' }, CSV, { clock: clock.now })
  const ids: string[] = []
  for (const customer of ['ZQ1', 'K2']) {
    const started = await app.inject({ method: 'POST', url: '/api/trigger-single-call', payload: { customer_id: customer }, headers: { authorization } })
    ids.push(started.json().call.id)
  }
  const conversations = async () => await Promise.all(ids.map(async (id) => (await get(`/api/calls/${id}`)).json().call.conversation))
  await until(async () => (await conversations()).every((talk) => talk?.ended_at && talk.transcript.length > 0), 'both calls to end')
  // The second ended 40 days ago; the first, now.
  await app.db.query("UPDATE call_conversation SET ended_at = ended_at - interval '40 days' WHERE call_id = $1", [ids[1]])
  clock.advance(3_600_000) // the next hourly sweep
  await until(async () => (await conversations())[1].transcript.length === 0, 'the old transcript to be emptied')
  const [recent, old] = await conversations()
  t.ok(recent.transcript.length > 0, 'a recent transcript is kept')
  t.ok(old.outcome, 'the old call keeps its outcome')
  t.ok(lines.some((line) => line.includes('transcripts past TRANSCRIPT_RETENTION_DAYS emptied') && line.includes('"emptied":1')))
  clock.advance(30 * 86_400_000)
  await until(async () => (await conversations())[0].transcript.length === 0, 'a month on, the other too')
})
