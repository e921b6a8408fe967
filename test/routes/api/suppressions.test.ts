import t from 'tap'
import { engines, multipartFile } from '../../helper.js'
import { campaignApp, until } from './campaign-app.js'

t.test('the suppression list: add, list, search, upload, remove; in the envelope; no number in the log', async (t) => {
  const { app, post, get, lines, authorization } = await campaignApp(t)
  const added = await post('/api/suppressions', { phones: ['9000000105', '+91 90000 00205', '9000000105'], reason: 'asked not to be called' })
  t.equal(added.statusCode, 201)
  t.same(added.json(), { success: true, message: 'Added 2 numbers to the suppression list', added: 2, already: 1 })
  t.match((await post('/api/suppressions', { phones: ['+919000000105'] })).json(), { added: 0, already: 1 })

  const bad = await post('/api/suppressions', { phones: ['9000000305', 'not a number'] })
  t.equal(bad.statusCode, 400)
  t.same(bad.json(), { success: false, message: 'phones[1]: phone has characters a phone number does not' })
  t.equal((await post('/api/suppressions', { phones: [] })).statusCode, 400, 'at least one number')

  const list = (await get('/api/suppressions')).json()
  t.equal(list.total, 2, 'nothing of the refused request was added')
  t.match(list.suppressions[0], { phone: /^\+9190000001?05$|^\+919000000205$/, reason: 'asked not to be called', created_by: /./ })
  t.same((await get('/api/suppressions?search=0205')).json().suppressions.map((s: { phone: string }) => s.phone), ['+919000000205'])

  // A reason column kept; a blank reason, and a short row without it, read as none.
  const file = multipartFile('Mobile,Note,Reason\n9000000305,x,complained\n123\n+919000000105,,\n9000000405\n\n')
  const upload = await app.inject({ method: 'POST', url: '/api/suppressions/upload', ...file, headers: { ...file.headers, authorization } })
  t.equal(upload.statusCode, 200)
  t.match(upload.json(), { success: true, total: 4, added: 2, already: 1, rejected: 1, rejected_rows: [{ row: 3, reason: /not a valid number/ }] })
  t.match((await get('/api/suppressions?search=0405')).json().suppressions, [{ phone: '+919000000405', reason: null }])
  t.match((await get('/api/suppressions?search=0305')).json().suppressions, [{ phone: '+919000000305', reason: 'complained' }])
  const noPhone = multipartFile('name\nSomeone\n')
  const refused = await app.inject({ method: 'POST', url: '/api/suppressions/upload', ...noPhone, headers: { ...noPhone.headers, authorization } })
  t.equal(refused.statusCode, 400)
  t.match(refused.json(), { success: false, message: /No phone column/ })
  const empty = multipartFile(',,,\n,,\n') // separators only: no header
  t.match((await app.inject({ method: 'POST', url: '/api/suppressions/upload', ...empty, headers: { ...empty.headers, authorization } })).json(),
    { success: false, message: 'The file is empty' })

  // A + left unencoded arrives as a space, and is read as the + it was.
  const removed = await app.inject({ method: 'DELETE', url: '/api/suppressions?phone=+919000000305', headers: { authorization } })
  t.same(removed.json(), { success: true, message: 'Number taken off the suppression list' })
  const again = await app.inject({ method: 'DELETE', url: '/api/suppressions?phone=%2B919000000305', headers: { authorization } })
  t.equal(again.statusCode, 404)
  t.same(again.json(), { success: false, message: 'That number is not on the suppression list' })
  t.equal((await app.inject({ method: 'DELETE', url: '/api/suppressions?phone=abc', headers: { authorization } })).statusCode, 400)
  t.equal((await app.inject({ method: 'GET', url: '/api/suppressions' })).statusCode, 401, 'signed-in users only')
  t.equal((await get('/api/suppressions')).json().total, 3, 'the removed number is off the list')
  // A number, not the same digits inside another (a response time such as 2.69000000105 ms has them).
  t.same(lines.filter((line) => /(?<![\d.])(\+?91)?9000000[123]05(?!\d)/.test(line)), [], 'no suppressed number reaches the log')
})

t.test('a suppression file: the first 100 bad rows are listed; past UPLOAD_MAX_ROWS the file is refused whole', async (t) => {
  const { app, get, authorization } = await campaignApp(t, { UPLOAD_MAX_ROWS: '150' })
  const upload = (csv: string) => {
    const file = multipartFile(csv)
    return app.inject({ method: 'POST', url: '/api/suppressions/upload', ...file, headers: { ...file.headers, authorization } })
  }
  const bad = await upload(`phone\n${'12\n'.repeat(102)}9000000105\n`)
  t.match(bad.json(), { success: true, total: 103, added: 1, rejected: 102 })
  t.equal(bad.json().rejected_rows.length, 100)
  const big = await upload(`phone\n${Array.from({ length: 151 }, (_, i) => `9000001${String(i).padStart(3, '0')}`).join('\n')}\n`)
  t.equal(big.statusCode, 413)
  t.same(big.json(), { success: false, message: 'The file has more than 150 rows; split it into smaller files' })
  t.equal((await get('/api/suppressions')).json().total, 1, 'nothing of the refused file was added')
})

for (const engine of engines) {
  t.test(`${engine.name}: suppressed and capped customers: refused as single calls, skipped at enqueue with their reason; dry run says the same first`, async (t) => {
    const { app, post, get, callsOf } = await campaignApp(t, { ATTEMPT_CAP: '1', ...await engine.env(t) })
    await post('/api/suppressions', { phones: ['9000000205'] })
    const single = await post('/api/trigger-single-call', { customer_id: 'A2' })
    t.equal(single.statusCode, 409)
    t.same(single.json(), { success: false, message: "This customer's number is on the suppression list" })
    t.equal((await callsOf('A2')).length, 0, 'nothing written')

    // A1 was dialled once today: at the cap of 1. B1 has a call going on.
    t.equal((await post('/api/trigger-single-call', { customer_id: 'A1' })).statusCode, 200)
    await until(async () => (await callsOf('A1'))[0].status === 'completed', 'the call to A1 to end')
    await app.db.query("INSERT INTO call (customer_id, phone, status, triggered_by) VALUES ('B1', '+919000000101', 'ringing', 'someone')")

    const selection = { customer_ids: ['A1', 'A2', 'A3', 'B1', 'nobody'] }
    const dry = await post('/api/trigger-bulk-calls', { ...selection, dry_run: true })
    t.equal(dry.statusCode, 200)
    t.match(dry.json(), {
      success: true,
      dry_run: true,
      message: 'Would queue 1 calls and skip 4; nobody was dialled',
      would_dial: 1,
      would_skip: 4,
      skipped_by_reason: { 'attempt-cap': 1, suppressed: 1, 'in-progress': 1, 'not-found': 1 }
    })
    t.same(dry.json().calls, [
      { customer_id: 'A1', action: 'skip', reason: 'attempt-cap' },
      { customer_id: 'A2', action: 'skip', reason: 'suppressed' },
      { customer_id: 'A3', action: 'dial', reason: null },
      { customer_id: 'B1', action: 'skip', reason: 'in-progress' },
      { customer_id: 'nobody', action: 'skip', reason: 'not-found' }
    ])
    t.equal((await get('/api/calls?limit=100')).json().total, 2, 'the dry run wrote nothing')

    const real = await post('/api/trigger-bulk-calls', selection)
    t.equal(real.statusCode, 202)
    t.match(real.json(), { queued: 1, skipped: 4 })
    t.same(real.json().skipped_by_reason, dry.json().skipped_by_reason, 'the real run skipped what the dry run said')
    const batchId = real.json().batch_id
    t.match((await callsOf('A2'))[0], { batch_id: batchId, status: 'canceled', skip_reason: 'suppressed', exotel_sid: null })
    t.match((await callsOf('A1'))[0], { batch_id: batchId, status: 'canceled', skip_reason: 'attempt-cap' })
    const detail = (await get(`/api/calls/${(await callsOf('A2'))[0].id}`)).json().call
    t.match(detail.events, [{ status: 'canceled', source: 'api', detail: { reason: 'suppressed' } }])
    await until(async () => (await get(`/api/batches/${batchId}`)).json().batch.status === 'finished', 'the batch to finish')
    const { batch } = (await get(`/api/batches/${batchId}`)).json()
    t.match(batch, { total: 1, counts: { completed: 1, canceled: 2 } })
    t.same(batch.analytics.skipped, { 'attempt-cap': 1, suppressed: 1 })

    // Everyone left is skipped: refused, with the reasons, and nothing kept.
    const none = await post('/api/trigger-bulk-calls', { customer_ids: ['A1', 'A2'] })
    t.equal(none.statusCode, 400)
    t.same(none.json(), { success: false, message: 'None of the customers selected can be called (1 suppressed, 1 attempt-cap)' })
    t.equal((await get('/api/batches')).json().total, 1)
  })

  t.test(`${engine.name}: suppressed after queueing: the retry is skipped right before its dial; so is one past the attempt cap`, async (t) => {
    // Retries come due a minute later by the dispatcher's clock, which the test moves.
    const { post, callsOf, clock } = await campaignApp(t, { CALL_RETRIES: '2', CALL_RETRY_DELAY_SECONDS: '60', ATTEMPT_CAP: '2', ...await engine.env(t) })
    const queued = await post('/api/trigger-bulk-calls', { customer_ids: ['B1'] })
    t.equal(queued.statusCode, 202)
    await until(async () => (await callsOf('B1')).length === 2, 'the first retry to be queued')
    let calls = await callsOf('B1')
    t.match(calls, [{ attempt: 2, status: 'queued' }, { attempt: 1, status: 'busy' }])
    clock.advance(60_000)
    await until(async () => (await callsOf('B1')).length === 3, 'the second retry to be queued')
    calls = await callsOf('B1')
    t.match(calls[0], { attempt: 3, status: 'queued' })
    clock.advance(60_000)
    await until(async () => (await callsOf('B1'))[0].status === 'canceled', 'the third attempt to be skipped')
    t.match((await callsOf('B1'))[0], { attempt: 3, status: 'canceled', skip_reason: 'attempt-cap', exotel_sid: null })

    // Suppression, likewise, for a retry already queued.
    const again = await campaignApp(t, { CALL_RETRIES: '1', CALL_RETRY_DELAY_SECONDS: '60' })
    await again.post('/api/trigger-bulk-calls', { customer_ids: ['B1'] })
    await until(async () => (await again.callsOf('B1')).length === 2, 'the retry to be queued')
    await again.post('/api/suppressions', { phones: ['9000000101'] })
    again.clock.advance(60_000)
    await until(async () => (await again.callsOf('B1'))[0].status === 'canceled', 'the retry to be skipped')
    const retry = (await again.callsOf('B1'))[0]
    t.match(retry, { attempt: 2, skip_reason: 'suppressed', exotel_sid: null })
    const { call } = (await again.get(`/api/calls/${retry.id}`)).json()
    t.match(call.events.at(-1), { status: 'canceled', source: 'dispatcher', detail: { reason: 'suppressed' } })
    t.same((await again.get('/api/analytics')).json().analytics.skipped, { suppressed: 1 })
  })
}
