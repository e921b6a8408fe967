import t from 'tap'
import { appWithCustomers, until } from '../../helper.js'

const batchApp = (t: Parameters<typeof appWithCustomers>[0], env: Record<string, string>, csv: string) => appWithCustomers(t,
  { EXOTEL_SIMULATOR_RING_MS: '100', EXOTEL_SIMULATOR_TALK_MS: '200', CALLS_PER_MINUTE: '200', ...env }, csv)

t.test('a bulk campaign on the simulator: queued at once, dialled within the cap, retried, finished', async (t) => {
  const rows = ['customer_id,name,phone']
  for (let i = 1; i <= 6; i++) rows.push(`A${i},Answers ${i},90000000${i}5`) // answered
  rows.push('B1,Busy One,9000000011', 'N1,No Answer,9000000012', 'F1,Fails,9000000013')
  // Answered callers stay on for 3 s of the simulator's time (300 ms here): long enough for the greeting to reach
  // them on a loaded machine, too short for them to speak.
  const { app, post, get } = await batchApp(t,
    { MAX_CONCURRENT_CALLS: '3', CALL_RETRIES: '1', CALL_RETRY_DELAY_SECONDS: '0', EXOTEL_SIMULATOR_TALK_MS: '3000', EXOTEL_SIMULATOR_REALTIME: 'false' },
    rows.join('\n') + '\n')

  // A number Exotel refuses (stored before validation existed, say): its dial fails, the batch goes on.
  await app.db.query("INSERT INTO customer (id, name, phone) VALUES ('X1', 'Refused', '+1')")
  const queued = await post('/api/trigger-bulk-calls', { filter: {} })
  t.equal(queued.statusCode, 202)
  t.match(queued.json(), { success: true, message: 'Queued 10 calls', batch_id: /^[0-9a-f-]{36}$/, queued: 10, skipped: 0 })
  const batchId = queued.json().batch_id

  let maxInFlight = 0
  await until(async () => {
    const { rows } = await app.db.query<{ n: number }>(
      "SELECT count(*) AS n FROM call WHERE status IN ('initiated', 'ringing', 'in-progress') OR (status = 'queued' AND claimed_at IS NOT NULL)")
    maxInFlight = Math.max(maxInFlight, rows[0]!.n)
    return (await get(`/api/batches/${batchId}`)).json().batch.status === 'finished'
  }, 'the batch to finish')
  t.ok(maxInFlight <= 3, `never more than 3 in flight (saw ${maxInFlight})`)
  t.ok(maxInFlight >= 2, 'but more than one at a time')

  const batch = (await get(`/api/batches/${batchId}`)).json().batch
  t.match(batch, {
    id: batchId,
    status: 'finished',
    total: 10,
    retries: 2,
    next_dial_at: null,
    counts: { queued: 0, completed: 6, busy: 1, 'no-answer': 1, failed: 2, canceled: 0 }
  })
  t.match((await get('/api/calls?customer_id=X1')).json().calls[0], { status: 'failed', error: /From must be a phone number/ })
  const busy = (await get('/api/calls?customer_id=B1')).json()
  t.same(busy.calls.map((c: { attempt: number, status: string }) => [c.attempt, c.status]), [[2, 'busy'], [1, 'busy']],
    'busy: retried once, then left')
  t.equal((await get('/api/calls?customer_id=F1')).json().total, 1, 'a failed call is not retried')
  t.equal((await get(`/api/calls?batch_id=${batchId}`)).json().total, 12)

  // Analytics count every attempt.
  const { analytics } = batch
  t.match(analytics, { calls: 12, customers: 10, answered: 6, customers_reached: 6, busy: 2, no_answer: 2, failed: 2, in_flight: 0, queued: 0, skipped: {} })
  t.ok(analytics.dialled >= 11, `every call Exotel accepted was dialled (${analytics.dialled})`)
  t.equal(analytics.pick_up_rate, Math.round((6 / analytics.dialled) * 1000) / 1000)
  t.type(analytics.average_talk_seconds, 'number')
  t.equal(Object.values(analytics.outcomes as Record<string, number>).reduce((sum, n) => sum + n, 0), 6, 'an outcome for every answered call')
  t.same((await get(`/api/analytics?batch_id=${batchId}`)).json(), { success: true, analytics })
  const before = new Date(Date.parse(batch.created_at) - 60_000).toISOString()
  t.match(analytics.quality, {
    calls_measured: 6,
    first_audio_ms: { p50: Number, p95: Number },
    response_delay_ms: null, // these callers say nothing: no turn is taken
    barge_in_reaction_ms: null,
    model_delay_ms: null,
    underruns: Number, // a loaded machine may starve the assistant's pacing: counted, not ruled out here
    calls_with_underruns: Number
  }, 'how the answered calls sounded: p50 and p95 over every call')
  t.ok(analytics.quality.first_audio_ms.p50 <= analytics.quality.first_audio_ms.p95)
  t.ok(analytics.quality.calls_with_underruns <= 6 && analytics.quality.underruns >= analytics.quality.calls_with_underruns)
  t.match((await get(`/api/analytics?until=${before}`)).json().analytics, {
    calls: 0, pick_up_rate: null, average_talk_seconds: null, outcomes: {}, quality: { calls_measured: 0, first_audio_ms: null, response_delay_ms: null }
  })
  t.match((await get(`/api/analytics?since=${before}`)).json().analytics, { calls: 12 })
  t.same((await get('/api/analytics')).json().analytics, analytics, 'every call there is: this batch\'s')
  t.equal((await get('/api/analytics?since=yesterday')).statusCode, 400)
})

t.test('selecting customers, skipping those already called, and refusing empty selections', async (t) => {
  const { post } = await batchApp(t, { CALLS_PER_MINUTE: '1' }, 'customer_id,name,phone\nS1,One,9000000015\nS2,Two,9000000025\n')
  const first = await post('/api/trigger-bulk-calls', { customer_ids: ['S1', 'NOPE'] })
  t.match(first.json(), { queued: 1, skipped: 1 }, 'an unknown id is skipped')
  const second = await post('/api/trigger-bulk-calls', { filter: { search: 'S' } })
  t.match(second.json(), { queued: 1, skipped: 1 }, 'a customer with a live call is skipped')
  const again = await post('/api/trigger-bulk-calls', { customer_ids: ['S1', 'S2'] })
  t.equal(again.statusCode, 400)
  t.same(again.json(), { success: false, message: 'Every customer selected already has a call queued or in progress' })
  t.same((await post('/api/trigger-bulk-calls', { filter: { search: 'nobody' } })).json(),
    { success: false, message: 'No customers to call' })
  t.same((await post('/api/trigger-bulk-calls', {})).json(),
    { success: false, message: 'Give customer_ids, or a filter ({} for every customer)' })
  t.equal((await post('/api/trigger-bulk-calls', { customer_ids: [] })).statusCode, 400)
})

t.test('cancel stops what has not been dialled; the batch ends canceled', async (t) => {
  const csv = ['customer_id,name,phone', ...Array.from({ length: 5 }, (_, i) => `C${i},Person ${i},900000010${i}`)].join('\n')
  const { post, get } = await batchApp(t, { CALLS_PER_MINUTE: '1' }, `${csv}\n`) // one dial a minute: the rest wait
  const batchId = (await post('/api/trigger-bulk-calls', { filter: {} })).json().batch_id
  await until(async () => (await get(`/api/batches/${batchId}`)).json().batch.counts.queued === 4, 'the first dial')
  const canceled = await post(`/api/batches/${batchId}/cancel`)
  t.same(canceled.json(), { success: true, message: 'Canceled 4 calls not yet dialled', canceled: 4 })
  t.same((await post(`/api/batches/${batchId}/cancel`)).json().canceled, 0, 'cancel twice: nothing more')
  await until(async () => (await get(`/api/batches/${batchId}`)).json().batch.status !== 'running', 'the dialled call to end')
  t.match((await get(`/api/batches/${batchId}`)).json().batch, {
    status: 'canceled', canceled_at: String, counts: { canceled: 4 }, analytics: { calls: 5, skipped: { canceled: 4 } }
  })
  const second = (await post('/api/trigger-bulk-calls', { customer_ids: ['C1'] })).json().batch_id
  const listed = (await get('/api/batches?limit=1')).json()
  t.match(listed, { success: true, total: 2, batches: [{ id: second, total: 1, status: 'running' }] }, 'newest first, a page at a time')
  t.equal((await get('/api/batches?offset=1')).json().batches[0].id, batchId)

  const unknown = '00000000-0000-4000-8000-000000000000'
  t.same((await get(`/api/batches/${unknown}`)).json(), { success: false, message: 'Batch not found' })
  t.equal((await post(`/api/batches/${unknown}/cancel`)).statusCode, 404)
  t.equal((await get('/api/batches/nope')).statusCode, 400)
})
