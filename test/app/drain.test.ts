import t from 'tap'
import { appWithCustomers, FAST_CALLS, until } from '../helper.js'

// 0 answers and presses 1 once the assistant has asked (confirmed); 6 answers and says nothing.
const CSV = 'customer_id,name,phone\nD1,Asha,9000000100\nD2,Ravi,9000000106\n'

async function liveCall (app: Awaited<ReturnType<typeof appWithCustomers>>, customerId: string) {
  const single = await app.app.inject({
    method: 'POST', url: '/api/trigger-single-call', payload: { customer_id: customerId }, headers: { authorization: app.authorization, 'idempotency-key': `drain-${customerId}` }
  })
  const id = single.json().call.id as string
  const read = async () => (await app.get(`/api/calls/${id}`)).json().call
  await until(async () => (await read()).conversation !== null, 'the call\'s stream to start')
  return read
}

t.test('a drain: /ready says 503 at once, nothing more is claimed, and a live call goes on to its own end', async (t) => {
  const app = await appWithCustomers(t, FAST_CALLS, CSV)
  const read = await liveCall(app, 'D1')
  const drained = app.app.drain()
  t.same((await app.app.inject({ url: '/ready' })).json(), { success: false, message: 'Draining: this instance takes no new work' })
  t.equal((await app.app.inject({ url: '/ready' })).statusCode, 503)
  // A campaign started meanwhile waits for another instance: nothing is claimed here.
  const campaign = (await app.post('/api/campaigns', { name: 'While draining', customer_ids: ['D2'] })).json().campaign
  const { fingerprint } = (await app.get(`/api/campaigns/${campaign.id as string}/preview`)).json()
  t.equal((await app.post(`/api/campaigns/${campaign.id as string}/start`, { fingerprint })).statusCode, 202)
  await drained
  const call = await read()
  t.match(call.conversation, { outcome: 'confirmed', stop_reason: 'hung up by the assistant' }, 'the call ended as it would have')
  t.equal(app.app.liveCalls.size, 0)
  t.match((await app.get(`/api/calls?batch_id=${campaign.id as string}`)).json().calls, [{ status: 'queued' }], 'the campaign\'s call is left queued')
})

t.test('past DRAIN_SECONDS, or at a second SIGTERM, the live calls are ended, with the reason recorded', async (t) => {
  for (const [how, env] of [['limit', { DRAIN_SECONDS: '1' }], ['second', { DRAIN_SECONDS: '600' }]] as const) {
    const app = await appWithCustomers(t, { ...FAST_CALLS, EXOTEL_SIMULATOR_REALTIME: 'true', ...env }, CSV)
    const read = await liveCall(app, 'D2')
    const drained = app.app.drain()
    if (how === 'second') app.app.endDrain('the server stopped: a second SIGTERM')
    await drained
    const reason = how === 'limit' ? 'the server stopped: its 1 s to drain ran out' : 'the server stopped: a second SIGTERM'
    t.match((await read()).conversation, { stop_reason: reason, ended_at: /./ }, `${how}: ended, saying why`)
    t.equal(app.app.liveCalls.size, 0)
  }
})
