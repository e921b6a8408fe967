import t from 'tap'
import { appWithCustomers, until } from '../../helper.js'

// Numbers ending in 5 answer (and press 2), 1 is busy: the simulator's callers.
const CSV = 'customer_id,name,phone\nA,Asha,9000000105\nB,Bina,9000000205\nC,Chetan,9000000301\n'
const POOL = ['+918000000001', '+918000000002']

t.test('several ExoPhones take turns; a customer called again sees the number they saw; each number is counted', async (t) => {
  const { app, post, get } = await appWithCustomers(t, { EXOTEL_CALLER_IDS: POOL.join(','), EXOTEL_SIMULATOR_RING_MS: '20', EXOTEL_SIMULATOR_TALK_MS: '100' }, CSV)
  const from = (sid: string) => app.telephony.simulator!.calls.get(sid)!.callerId
  const called = async (customer: string) => {
    const { call } = (await post('/api/trigger-single-call', { customer_id: customer })).json()
    await until(async () => ['completed', 'busy'].includes((await get(`/api/calls/${call.id as string}`)).json().call.status), `${customer}'s call to end`)
    return from(call.exotel_sid)
  }
  const first = await called('A')
  const second = await called('B')
  t.same([first, second].sort(), POOL, 'in turn: each number once')
  t.equal(await called('C'), POOL[0], 'tied again: the first of the pool')
  t.equal(await called('B'), second, 'Bina sees the number she saw before')
  t.same((await get('/api/calls?customer_id=B')).json().calls.map((call: { caller_id: string }) => call.caller_id), [second, second], 'each call keeps its number')

  const { caller_ids: stats, hours } = (await get('/api/caller-ids')).json()
  t.equal(hours, 24)
  const of = (number: string) => stats.find((row: { number: string }) => row.number === number)
  t.same(stats.map((row: { number: string }) => row.number), POOL, 'in the order of EXOTEL_CALLER_IDS')
  t.equal(of(second).dials, 2)
  t.equal(of(second).answered, 2)
  t.equal(of(second).answer_rate, 1)
  t.equal(of(POOL[0]!).dials + of(POOL[1]!).dials, 4)
  t.equal((await get('/api/caller-ids?hours=0')).statusCode, 400, 'hours from 1')
  t.same((await get('/api/notices')).json().notices, [], 'nothing rests')

  // The first number's last ten calls went unanswered (flagged as spam, say): it rests, even for a customer who saw it.
  await app.db.query(`INSERT INTO call (customer_id, phone, triggered_by, status, caller_id, dialled_at)
    SELECT 'X' || n, '+919000000999', 'sub', 'no-answer', $1, now() FROM generate_series(1, 10) n`, [POOL[0]])
  const { caller_ids: after } = (await get('/api/caller-ids')).json()
  t.same(after.map((row: { resting: boolean }) => row.resting), [true, false])
  t.match((await get('/api/notices')).json().notices, [{
    kind: 'caller-id-resting', link: '#/analytics', message: /^Customers stopped answering \+918000000001 \(\d of its last 1\d calls answered\): it rests for an hour/
  }])
  const firstCustomer = [first, second].indexOf(POOL[0]!) === 0 ? 'A' : 'B'
  t.equal(await called(firstCustomer), POOL[1], 'calls go from the number still answered')
  await app.db.query(`INSERT INTO call (customer_id, phone, triggered_by, status, caller_id, dialled_at)
    SELECT 'Y' || n, '+919000000999', 'sub', 'no-answer', $1, now() FROM generate_series(1, 40) n`, [POOL[1]])
  t.equal(await called('C'), POOL[0], 'every number resting: calls go on from all of them, Chetan\'s from his')
})

t.test('one ExoPhone: every call from it, and a number with no calls yet has no answer rate', async (t) => {
  const { get } = await appWithCustomers(t, {}, CSV)
  t.same((await get('/api/caller-ids')).json().caller_ids,
    [{ number: '+918000000000', dials: 0, answered: 0, failed: 0, answer_rate: null, resting: false, resting_reason: null }])
})

t.test('a number Exotel refuses (not an ExoPhone of the account) rests at once, and the operator is told', async (t) => {
  // The simulator refuses caller numbers ending in 99, as Exotel refuses a number the account does not own.
  const pool = ['+918000000099', '+918000000001']
  const { app, post, get } = await appWithCustomers(t, { EXOTEL_CALLER_IDS: pool.join(','), EXOTEL_SIMULATOR_RING_MS: '20', EXOTEL_SIMULATOR_TALK_MS: '100', CALLS_PER_MINUTE: '200' }, CSV)
  const refused = await post('/api/trigger-single-call', { customer_id: 'A' })
  t.equal(refused.statusCode, 502)
  t.match(refused.json(), { success: false, message: /CallerId \+918000000099 is not an ExoPhone of this account/ })
  t.match((await get('/api/caller-ids')).json().caller_ids, [
    { number: pool[0], dials: 1, failed: 1, resting: true, resting_reason: 'refused' },
    { number: pool[1], dials: 0, resting: false, resting_reason: null }
  ])
  t.match((await get('/api/notices')).json().notices, [{ kind: 'caller-id-resting', message: /^Exotel refused calls from \+918000000099 .* take it out of EXOTEL_CALLER_IDS\.$/ }])
  const { call } = (await post('/api/trigger-single-call', { customer_id: 'B' })).json()
  t.equal(app.telephony.simulator!.calls.get(call.exotel_sid)!.callerId, pool[1], 'the next call goes from the other number')
})

t.test('a campaign may have its own numbers out of the pool: its calls are placed from them alone', async (t) => {
  const pool = ['+918000000001', '+918000000002', '+918000000003']
  const { app, post, get, authorization } = await appWithCustomers(t,
    { EXOTEL_CALLER_IDS: pool.join(','), EXOTEL_SIMULATOR_RING_MS: '20', EXOTEL_SIMULATOR_TALK_MS: '100', CALLS_PER_MINUTE: '200' }, CSV)
  const window = { timezone: 'Asia/Kolkata', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], hours: ['00:00-24:00'] }
  const stranger = await post('/api/campaigns', { name: 'Elsewhere', customer_ids: ['A'], calling_window: window, caller_ids: ['+918000000009'] })
  t.equal(stranger.statusCode, 400)
  t.same(stranger.json(), {
    success: false, message: "body.caller_ids: +918000000009 is not one of this server's caller numbers (EXOTEL_CALLER_IDS: +918000000001, +918000000002, +918000000003)"
  })
  t.equal((await post('/api/campaigns', { name: 'Bad', customer_ids: ['A'], caller_ids: ['080 4000 0000'] })).statusCode, 400, 'not E.164')

  const made = (await post('/api/campaigns', { name: 'Two numbers', customer_ids: ['A', 'B', 'C'], calling_window: window, caller_ids: [pool[2]] })).json().campaign
  t.same(made.caller_ids, [pool[2]])
  const changed = await app.inject({ method: 'PATCH', url: `/api/campaigns/${made.id as string}`, payload: { caller_ids: [pool[2], pool[1]] }, headers: { authorization } })
  t.same(changed.json().campaign.caller_ids, [pool[2], pool[1]], 'a draft\'s numbers can change')
  const { fingerprint } = (await get(`/api/campaigns/${made.id as string}/preview`)).json()
  t.equal((await post(`/api/campaigns/${made.id as string}/start`, { fingerprint })).statusCode, 202)
  let calls: Array<{ exotel_sid: string | null, attempt: number, caller_id: string }> = []
  await until(async () => {
    calls = (await get(`/api/campaigns/${made.id as string}/calls`)).json().calls.filter((call: { attempt: number }) => call.attempt === 1)
    return calls.length === 3 && calls.every((call) => call.exotel_sid !== null)
  }, 'every customer dialled')
  const from = calls.map((call) => app.telephony.simulator!.calls.get(call.exotel_sid!)!.callerId)
  t.same(from, calls.map((call) => call.caller_id), 'each call keeps the number it went from')
  t.same([...new Set(from)].sort(), [pool[1], pool[2]], 'from its two numbers, in turn, never the third')
})
