import t from 'tap'
import { startNow } from '../../../lib/campaigns/campaigns.js'
import { bulkCallRules } from '../../../lib/campaigns/rules.js'
import { windowOf } from '../../../lib/calling-rules/calling-window.js'
import { applyReport, createCall } from '../../../lib/calls/calls.js'
import { Dispatcher, type DispatchPolicy } from '../../../lib/dispatch/dispatcher.js'
import type { Database } from '../../../lib/db/database.js'
import { ExotelClient } from '../../../lib/exotel/exotel-client.js'
import { startExotelSimulator } from '../../../lib/exotel/simulator.js'
import { migratedDatabase, testClock } from '../../helper.js'

const ALWAYS = windowOf('00:00-24:00', 'mon-sun', 'UTC')
const ANYTIME = { schedule: { window: ALWAYS } }

/** A campaign of these customers started at once, as POST /api/trigger-bulk-calls makes it, with no retries. */
async function queueBatch (db: Database, by: string, selection: { customerIds: string[] } | { filter: object }, options: typeof ANYTIME) {
  const started = await startNow(db, by, {
    name: 'test',
    selection: 'customerIds' in selection ? { customer_ids: selection.customerIds } : { filter: selection.filter },
    schedule: options.schedule,
    rules: bulkCallRules({ retry: { retries: 0, delayMs: 0 } })
  }, {})
  return { batchId: started.id }
}
const credentials = { accountSid: 'acme1', apiKey: 'key', apiToken: 'token' }
// Nobody listens there: calls stay in flight (no callback ends them), as long calls do.
const NOWHERE = 'http://127.0.0.1:9/exotel-webhook'

async function setup (t: { teardown (fn: () => unknown): void }, customers: number) {
  const db = await migratedDatabase(t)
  const simulator = await startExotelSimulator({ ...credentials, passthruUrl: () => NOWHERE, ringMs: 60_000 })
  t.teardown(() => simulator.stop())
  const exotel = new ExotelClient({ ...credentials, baseUrl: simulator.baseUrl, callerId: '08000000001', appId: '42' })
  await db.query(`INSERT INTO customer (id, name, phone)
    SELECT 'D' || n, 'Customer ' || n, '+9190000' || lpad(n::text, 5, '0') || '5' FROM generate_series(1, $1) n`, [customers])
  return { db, simulator, exotel }
}

function dispatcher (db: Database, exotel: ExotelClient, policy: Partial<DispatchPolicy>, callback = () => NOWHERE,
  clock = testClock()) {
  return new Dispatcher({
    db,
    exotel,
    statusCallbackUrl: callback,
    policy: {
      callsPerMinute: 200,
      maxInFlight: 100,
      callTimeoutMs: 60_000,
      priorityLines: 0,
      ...policy
    },
    campaign: {},
    clock: clock.now
  })
}

const dialled = async (db: Database) =>
  (await db.query<{ n: number }>('SELECT count(*) AS n FROM call WHERE exotel_sid IS NOT NULL')).rows[0]!.n

t.test('never more calls in flight than the cap', async (t) => {
  const { db, exotel, simulator } = await setup(t, 8)
  await queueBatch(db, 'sub', { filter: {} }, ANYTIME)
  const running = dispatcher(db, exotel, { maxInFlight: 3, callsPerMinute: 200, tickMs: 10 })
  running.start()
  t.teardown(() => running.stop())
  for (let i = 0; i < 100 && await dialled(db) < 3; i++) await new Promise((resolve) => setTimeout(resolve, 20))
  await new Promise((resolve) => setTimeout(resolve, 500)) // long enough to dial more, were it allowed
  t.equal(await dialled(db), 3, 'three dialled, the rest wait')
  t.equal(simulator.calls.size, 3, 'and Exotel was asked for three')

  const first = (await db.query<{ id: string }>("SELECT id FROM call WHERE status = 'initiated' LIMIT 1")).rows[0]!
  await applyReport(db, { id: first.id }, { status: 'completed', source: 'test', dedupeKey: 'done' })
  for (let i = 0; i < 100 && await dialled(db) < 4; i++) await new Promise((resolve) => setTimeout(resolve, 20))
  t.equal(await dialled(db), 4, 'a call that ends makes room for one more')
})

t.test('calls are spaced to the rate', async (t) => {
  const { db, exotel } = await setup(t, 4)
  await queueBatch(db, 'sub', { filter: {} }, ANYTIME)
  const running = dispatcher(db, exotel, { callsPerMinute: 200 }) // one every 300 ms
  running.start()
  t.teardown(() => running.stop())
  for (let i = 0; i < 200 && await dialled(db) < 4; i++) await new Promise((resolve) => setTimeout(resolve, 20))
  const { rows } = await db.query<{ claimed_at: Date }>('SELECT claimed_at FROM call ORDER BY claimed_at')
  const gaps = rows.slice(1).map((row, i) => row.claimed_at.getTime() - rows[i]!.claimed_at.getTime())
  t.ok(gaps.every((gap) => gap >= 290), `at least 300 ms apart: ${gaps.join(', ')} ms`)
  // How close to the rate it keeps is measured by bench/dispatch.bench.ts, not asserted here.
})

t.test('a call claimed by a run that ended is failed, never dialled again; nothing is dialled without a callback URL', async (t) => {
  const { db, exotel, simulator } = await setup(t, 2)
  await queueBatch(db, 'sub', { customerIds: ['D1', 'D2'] }, ANYTIME)
  await db.query("UPDATE call SET claimed_at = now() - interval '2 minutes' WHERE customer_id = 'D1'") // the crashed run's
  const notListening = dispatcher(db, exotel, {}, () => { throw new Error('not listening') })
  t.equal(await notListening.tick(), 0, 'not listening: nothing dialled')

  const running = dispatcher(db, exotel, { claimTimeoutMs: 60_000 })
  t.equal(await running.tick(), 1, 'only the unclaimed call is dialled')
  const { rows } = await db.query<{ customer_id: string, status: string, error: string | null }>(
    'SELECT customer_id, status, error FROM call ORDER BY customer_id')
  t.match(rows, [
    { customer_id: 'D1', status: 'failed', error: /may have been called, so the call is not retried/ },
    { customer_id: 'D2', status: 'initiated' }
  ])
  t.equal(simulator.calls.size, 1)
})

t.test('a call in flight past the timeout takes Exotel\'s word, else fails', async (t) => {
  const { db, exotel, simulator } = await setup(t, 2)
  await queueBatch(db, 'sub', { filter: {} }, ANYTIME)
  // However slow the machine, nothing is overdue until the test clock passes the timeout.
  const clock = testClock()
  const running = dispatcher(db, exotel, { callTimeoutMs: 60_000 }, undefined, clock)
  await running.tick()
  await new Promise((resolve) => setTimeout(resolve, 400)) // the rate (paced on the database's time) lets the second dial through
  await running.tick()
  t.equal(await dialled(db), 2)
  const [first] = [...simulator.calls.values()]
  first!.status = 'completed' // Exotel's record says the first ended; its callback was lost
  await db.query('UPDATE call SET updated_at = now() - interval \'1 hour\'')
  clock.advance(120_000) // past the timeout (and the sweep's second)
  await running.tick()
  const { rows } = await db.query<{ exotel_sid: string, status: string, error: string | null }>(
    'SELECT exotel_sid, status, error FROM call')
  const bySid = new Map(rows.map((row) => [row.exotel_sid, row]))
  t.match(bySid.get(first!.sid), { status: 'completed', error: null })
  t.match(rows.find((row) => row.exotel_sid !== first!.sid), { status: 'failed', error: 'No final status from Exotel in time' })
})

t.test('single calls count toward the rate, and are never claimed by the dispatcher', async (t) => {
  const { db, exotel } = await setup(t, 2)
  const single = await createCall(db, { customerId: 'D1', customerName: null, phone: '+919000000015', triggeredBy: 'sub', claimed: true })
  await queueBatch(db, 'sub', { customerIds: ['D2'] }, ANYTIME)
  const running = dispatcher(db, exotel, { callsPerMinute: 1 })
  t.equal(await running.tick(), 0, 'the single call used the minute')
  const { rows } = await db.query<{ status: string }>('SELECT status FROM call WHERE id = $1', [single.id])
  t.equal(rows[0]!.status, 'queued', 'left to its own request')
})

t.test('a round that fails is reported, and the next one runs', async (t) => {
  const { db, exotel } = await setup(t, 1)
  await queueBatch(db, 'sub', { filter: {} }, ANYTIME)
  const errors: unknown[] = []
  const running = new Dispatcher({
    db,
    exotel,
    statusCallbackUrl: () => NOWHERE,
    policy: { callsPerMinute: 200, maxInFlight: 10, callTimeoutMs: 60_000, tickMs: 10, priorityLines: 0 },
    campaign: {},
    onError: (error) => errors.push(error)
  })
  await db.close() // every query now fails
  running.start()
  for (let i = 0; i < 100 && errors.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10))
  await running.stop()
  t.ok(errors.length >= 2, 'each failed round is told')
})

t.test('batches take turns: a later batch is not stuck behind an earlier, larger one', async (t) => {
  const { db, exotel } = await setup(t, 8)
  const first = await queueBatch(db, 'sub', { customerIds: ['D1', 'D2', 'D3', 'D4', 'D5'] }, ANYTIME)
  const second = await queueBatch(db, 'sub', { customerIds: ['D6', 'D7', 'D8'] }, ANYTIME)
  const running = dispatcher(db, exotel, { callsPerMinute: 200, tickMs: 10 })
  running.start()
  t.teardown(() => running.stop())
  for (let i = 0; i < 300 && await dialled(db) < 8; i++) await new Promise((resolve) => setTimeout(resolve, 20))
  const { rows } = await db.query<{ batch_id: string }>('SELECT batch_id FROM call ORDER BY claimed_at')
  const order = rows.map((row) => row.batch_id === first.batchId ? 'A' : row.batch_id === second.batchId ? 'B' : '?').join('')
  t.equal(order, 'ABABABAA', 'one of each in turn while both have calls waiting')
})

t.test('the priority lane: batches leave lines free for single calls, and single calls use them first', async (t) => {
  const { db, exotel } = await setup(t, 8)
  await queueBatch(db, 'sub', { customerIds: ['D1', 'D2', 'D3', 'D4', 'D5', 'D6'] }, ANYTIME)
  const running = dispatcher(db, exotel, { maxInFlight: 4, priorityLines: 1, callsPerMinute: 200, tickMs: 10 })
  running.start()
  t.teardown(() => running.stop())
  const batchDialled = async () => (await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM call WHERE batch_id IS NOT NULL AND claimed_at IS NOT NULL')).rows[0]!.n
  for (let i = 0; i < 100 && await batchDialled() < 3; i++) await new Promise((resolve) => setTimeout(resolve, 20))
  await new Promise((resolve) => setTimeout(resolve, 400)) // long enough to dial a fourth, were it allowed
  t.equal(await batchDialled(), 3, 'the batch keeps one of four lines free')

  // Single calls are dialled by their request at once. One takes the free line; a second takes one from the batch.
  for (const id of ['D7', 'D8']) {
    await createCall(db, { customerId: id, customerName: null, phone: `+91900000000${id.at(-1)}5`, triggeredBy: 'sub', claimed: true })
  }
  const first = (await db.query<{ id: string }>("SELECT id FROM call WHERE customer_id = 'D1'")).rows[0]!
  await applyReport(db, { id: first.id }, { status: 'completed', source: 'test', dedupeKey: 'done' })
  await new Promise((resolve) => setTimeout(resolve, 400))
  t.equal(await batchDialled(), 3, 'the ended batch call\'s line went to the second single call, not to the batch')
})

t.test('a call due while its batch\'s window is closed waits, with the rest of the batch, for the next opening', async (t) => {
  const { db, exotel, simulator } = await setup(t, 3)
  const { batchId } = await queueBatch(db, 'sub', { customerIds: ['D1', 'D2', 'D3'] }, ANYTIME)
  // The window changes after queueing, as for a retry due at 21:05: nothing may be dialled before it opens.
  const tomorrow = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][(new Date().getUTCDay() + 1) % 7]
  await db.query('UPDATE campaign SET calling_window = $2 WHERE id = $1',
    [batchId, { timezone: 'UTC', days: [tomorrow], hours: ['08:00-09:00'] }])
  // A call dialled half a minute ago lets this round claim all three at once (the rate allows it).
  await db.query(`INSERT INTO call (customer_id, phone, status, triggered_by, claimed_at, dialled_at)
    VALUES ('D0', '+919000000005', 'completed', 'sub', now() - interval '30 seconds', now() - interval '30 seconds')`)
  const running = dispatcher(db, exotel, {})
  t.equal(await running.tick(), 0, 'nothing dialled')
  t.equal(simulator.calls.size, 0)
  const opening = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 1, 8))
  const { rows } = await db.query<{ not_before: Date, claimed_at: Date | null }>('SELECT not_before, claimed_at FROM call WHERE batch_id IS NOT NULL')
  t.same(rows.map((row) => [row.not_before.toISOString(), row.claimed_at]), Array(3).fill([opening.toISOString(), null]),
    'all three wait for tomorrow 08:00 UTC, unclaimed')
  const { rows: events } = await db.query<{ source: string, detail: object }>("SELECT source, detail FROM call_event WHERE status = 'queued' AND source = 'dispatcher'")
  t.same(events.map((event) => event.detail), Array(3).fill({ reason: 'outside-window', until: opening.toISOString() }), 'each timeline says why')
  t.equal(await running.tick(), 0, 'and the next round finds nothing due')

  // If the batch ends before that opening, its calls are skipped instead.
  await db.query('UPDATE call SET not_before = now() WHERE batch_id = $1', [batchId])
  await db.query("UPDATE campaign SET end_at = now() + interval '1 hour' WHERE id = $1", [batchId])
  t.equal(await running.tick(), 0)
  const { rows: skipped } = await db.query<{ status: string, skip_reason: string }>('SELECT status, skip_reason FROM call WHERE batch_id IS NOT NULL')
  t.same(skipped, Array(3).fill({ status: 'canceled', skip_reason: 'outside-window' }))
})

t.test('reconciliation: a call still going on at Exotel is noted and asked about later; a lookup that fails is noted too', async (t) => {
  const { db, exotel } = await setup(t, 2)
  await queueBatch(db, 'sub', { customerIds: ['D1', 'D2'] }, ANYTIME)
  const clock = testClock()
  const running = dispatcher(db, exotel, { reconcileAfterMs: 30_000, callsPerMinute: 200 }, undefined, clock)
  await running.tick()
  await new Promise((resolve) => setTimeout(resolve, 400))
  await running.tick()
  t.equal(await dialled(db), 2)
  await db.query("UPDATE call SET exotel_sid = 'unknown-to-exotel' WHERE customer_id = 'D2'")
  clock.advance(31_000) // past reconcileAfterMs and the once-a-second sweep, not the call's timeout
  await running.tick()
  const { rows } = await db.query<{ customer_id: string, status: string, detail: Record<string, unknown> }>(
    `SELECT call.customer_id, call.status, call_event.detail FROM call JOIN call_event ON call_event.call_id = call.id
     WHERE call_event.source = 'reconciliation' ORDER BY call.customer_id`)
  t.match(rows, [
    { customer_id: 'D1', status: 'initiated', detail: { via: 'exotel-call-details', exotel_status: 'in-progress' } },
    { customer_id: 'D2', status: 'initiated', detail: { via: 'exotel-call-details', exotel_status: null, problem: /not found/ } }
  ], 'both left as they were, each check in its timeline')
})

t.test('a call skipped at its dial does not use the rate: the next call is dialled in the same minute', async (t) => {
  const { db, exotel } = await setup(t, 2)
  await queueBatch(db, 'sub', { customerIds: ['D1'] }, ANYTIME)
  await queueBatch(db, 'sub', { customerIds: ['D2'] }, ANYTIME)
  await db.query("INSERT INTO suppression (phone, created_by) VALUES ('+9190000000015', 'sub')") // D1's, after queueing
  const running = dispatcher(db, exotel, { callsPerMinute: 1 })
  t.equal(await running.tick(), 0, 'D1, due first, is skipped')
  t.equal(await running.tick(), 1, 'and D2 is dialled at once, within the one call a minute')
  const { rows } = await db.query<{ customer_id: string, status: string, skip_reason: string | null, claimed_at: Date | null }>(
    'SELECT customer_id, status, skip_reason, claimed_at FROM call ORDER BY customer_id')
  t.match(rows, [
    { customer_id: 'D1', status: 'canceled', skip_reason: 'suppressed', claimed_at: null },
    { customer_id: 'D2', status: 'initiated', skip_reason: null }
  ])
})

t.test('after a restart, calls left in flight are looked up at once, and the lines of those that ended are freed', async (t) => {
  const { db, exotel, simulator } = await setup(t, 3)
  await queueBatch(db, 'sub', { customerIds: ['D1', 'D2', 'D3'] }, ANYTIME)
  const policy = { reconcileAfterMs: 600_000, maxInFlight: 2, callsPerMinute: 10_000 }
  const clock = testClock()
  const before = dispatcher(db, exotel, policy, undefined, clock)
  await before.tick()
  await before.tick()
  t.equal(await dialled(db), 2, 'two lines, both in use')
  const { rows: [ended] } = await db.query<{ exotel_sid: string }>("SELECT exotel_sid FROM call WHERE customer_id = 'D1'")
  simulator.calls.get(ended!.exotel_sid)!.status = 'completed' // its final callback lost in the crash
  clock.advance(1100) // past the once-a-second sweep
  t.equal(await before.tick(), 0, 'the run that dialled them waits for news, as reconcileAfterMs says')

  const after = dispatcher(db, exotel, policy, undefined, clock) // the restarted server's
  await after.tick()
  const { rows } = await db.query<{ customer_id: string, status: string }>('SELECT customer_id, status FROM call ORDER BY customer_id')
  t.same(rows.slice(0, 2), [{ customer_id: 'D1', status: 'completed' }, { customer_id: 'D2', status: 'initiated' }],
    'D1 settled from Call Details at once; D2 still going on at Exotel')
  t.equal(await after.tick(), 1, 'and D3 is dialled on the line D1 held')
})
