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
})

t.test('one ExoPhone: every call from it, and a number with no calls yet has no answer rate', async (t) => {
  const { get } = await appWithCustomers(t, {}, CSV)
  t.same((await get('/api/caller-ids')).json().caller_ids, [{ number: '+918000000000', dials: 0, answered: 0, failed: 0, answer_rate: null }])
})
