import t from 'tap'
import { WEEKDAYS } from '../../../lib/calling-rules/calling-window.js'
import { campaignApp, until } from './campaign-app.js'

t.test('calling windows: a batch waits for its window, from start_at; end_at skips what was not dialled', async (t) => {
  const { post, get, callsOf } = await campaignApp(t)
  const tomorrow = WEEKDAYS[(new Date().getUTCDay() + 1) % 7]!
  const midnight = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 1))
  const closed = { timezone: 'UTC', days: [tomorrow], hours: ['00:00-24:00'] }

  const dry = await post('/api/trigger-bulk-calls', { customer_ids: ['A1'], calling_window: closed, dry_run: true })
  t.match(dry.json(), { would_dial: 1, first_dial_at: midnight.toISOString() })
  const waiting = await post('/api/trigger-bulk-calls', { customer_ids: ['A1'], calling_window: closed })
  t.equal(waiting.statusCode, 202)
  t.equal(waiting.json().first_dial_at, midnight.toISOString(), 'dialled from the next opening: midnight UTC')
  t.equal(waiting.json().message, `Queued 1 calls, to be dialled from ${midnight.toISOString()} (the calling window)`)
  t.match((await get(`/api/batches/${waiting.json().batch_id}`)).json().batch,
    { calling_window: closed, start_at: null, end_at: null, status: 'running', next_dial_at: midnight.toISOString() })
  t.match((await callsOf('A1'))[0], { status: 'queued', not_before: midnight.toISOString() })

  // Open now, from two seconds ahead.
  const startAt = new Date(Date.now() + 2000)
  const later = await post('/api/trigger-bulk-calls', { customer_ids: ['A2'], start_at: startAt.toISOString() })
  t.equal(later.json().first_dial_at, startAt.toISOString())
  await until(async () => (await callsOf('A2'))[0].dialled_at !== null, 'A2 to be dialled')
  t.ok(Date.parse((await callsOf('A2'))[0].dialled_at) >= startAt.getTime(), 'not before start_at')
  t.equal((await callsOf('A1'))[0].status, 'queued', 'A1 still waits for its window')

  // Refused: a window that never opens before end_at, a window that cannot be, end_at before start_at.
  const soon = new Date(Date.now() + 60_000).toISOString()
  const never = await post('/api/trigger-bulk-calls', { customer_ids: ['A3'], calling_window: closed, end_at: soon })
  t.equal(never.statusCode, 400)
  t.match(never.json(), { success: false, message: /does not open before end_at/ })
  for (const [window, message] of [
    [{ ...closed, timezone: 'Mars/Olympus' }, /Unknown timezone/],
    [{ ...closed, hours: ['21:00-09:00'] }, /start before end/],
    [{ ...closed, hours: ['9-21'] }, /pattern/],
    [{ ...closed, days: ['someday'] }, /days/]
  ] as const) {
    const refused = await post('/api/trigger-bulk-calls', { customer_ids: ['A3'], calling_window: window, dry_run: true })
    t.equal(refused.statusCode, 400)
    t.match(refused.json(), { success: false, message })
  }
  const backwards = await post('/api/trigger-bulk-calls', { customer_ids: ['A3'], start_at: soon, end_at: new Date().toISOString() })
  t.match(backwards.json(), { success: false, message: 'end_at must be after start_at and after now' })
  t.equal((await callsOf('A3')).length, 0, 'nothing queued by a refused request')

  // end_at passes while calls wait for the rate: they are skipped, outside-window.
  const slow = await campaignApp(t, { CALLS_PER_MINUTE: '1' })
  const ending = await slow.post('/api/trigger-bulk-calls', { customer_ids: ['A1', 'A2', 'A3'], end_at: new Date(Date.now() + 1500).toISOString() })
  const batchId = ending.json().batch_id
  await until(async () => (await slow.get(`/api/batches/${batchId}`)).json().batch.status === 'finished', 'the batch to end')
  const { batch } = (await slow.get(`/api/batches/${batchId}`)).json()
  t.equal(batch.counts.completed, 1, 'one dialled in its minute')
  t.same(batch.analytics.skipped, { 'outside-window': 2 }, 'the others skipped when end_at passed')
})

t.test('the default window comes from CALLING_HOURS, CALLING_DAYS and CALLING_TIMEZONE', async (t) => {
  const closedToday = await campaignApp(t, {
    CALLING_HOURS: '09:00-10:00', CALLING_DAYS: WEEKDAYS[(new Date().getUTCDay() + 2) % 7]!, CALLING_TIMEZONE: 'UTC'
  })
  const waiting = await closedToday.post('/api/trigger-bulk-calls', { customer_ids: ['A1'] })
  t.equal(waiting.statusCode, 202)
  t.ok(Date.parse(waiting.json().first_dial_at) > Date.now() + 86_400_000, 'the day after tomorrow, at 09:00 UTC')
  t.match(new Date(waiting.json().first_dial_at).toISOString(), /T09:00:00.000Z$/)
  t.match((await closedToday.get(`/api/batches/${waiting.json().batch_id}`)).json().batch.calling_window,
    { timezone: 'UTC', hours: ['09:00-10:00'] })
})

t.test('reconciliation: a call whose final callback was lost is settled from Exotel\'s call details', async (t) => {
  const { post, get, callsOf } = await campaignApp(t, { EXOTEL_SIMULATOR_LOSE_CALLBACKS: '1', RECONCILE_AFTER_SECONDS: '1' })
  t.equal((await post('/api/trigger-single-call', { customer_id: 'B1' })).statusCode, 200)
  await until(async () => (await callsOf('B1'))[0].status === 'busy', 'the sweeper to find the call busy')
  const { call } = (await get(`/api/calls/${(await callsOf('B1'))[0].id}`)).json()
  t.notOk(call.events.some((event: { source: string }) => event.source === 'exotel-callback'), 'no callback came')
  t.match(call.events.at(-1), { status: 'busy', source: 'reconciliation', detail: { via: 'exotel-call-details', exotel_status: 'busy' } })
  t.ok(call.ended_at)
})

t.test('a single call overtakes a batch that holds every batch line', async (t) => {
  const { app, post, callsOf } = await campaignApp(t, {
    MAX_CONCURRENT_CALLS: '2', PRIORITY_LINES: '1', ASSISTANT: 'echo', EXOTEL_SIMULATOR_TALK_MS: '60000'
  })
  const queued = await post('/api/trigger-bulk-calls', { customer_ids: ['A1', 'A2', 'A3'] })
  t.equal(queued.statusCode, 202)
  const waiting = async () => (await app.db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM call WHERE batch_id = $1 AND status = 'queued' AND claimed_at IS NULL", [queued.json().batch_id])).rows[0]!.n
  await until(async () => await waiting() === 2, 'the batch to take its one line')
  const single = await post('/api/trigger-single-call', { customer_id: 'B1' })
  t.equal(single.statusCode, 200)
  t.match(single.json().call, { status: 'initiated', exotel_sid: /./ }, 'dialled at once')
  t.equal(await waiting(), 2, 'while two of the batch\'s calls still wait for a line')
  t.equal((await callsOf('B1')).length, 1)
})
