import t from 'tap'
import { appWithCustomers, until } from '../../helper.js'

// The simulator refuses numbers ending in 403 as Exotel refuses an account whose KYC is not done.
const CSV = 'customer_id,name,phone\nK1,Kay One,9000001403\nK2,Kay Two,9000002403\nK3,Kay Three,9000003403\n'

t.test('Exotel refusing the account pauses the campaign at its first dial, saying why on it and in the log', async (t) => {
  const { post, get, lines } = await appWithCustomers(t, { EXOTEL_SIMULATOR_RING_MS: '50', CALLS_PER_MINUTE: '1', CALL_RETRIES: '0' }, CSV)
  const started = await post('/api/trigger-bulk-calls', { customer_ids: ['K1', 'K2'] })
  t.equal(started.statusCode, 202)
  const id = started.json().batch_id
  await until(async () => (await get(`/api/campaigns/${id}`)).json().campaign.status === 'paused', 'the campaign to pause itself')
  const { campaign } = (await get(`/api/campaigns/${id}`)).json()
  t.match(campaign.paused_reason, /^Paused itself: Exotel refused the account: Exotel refused the call; the account may need KYC verification/)
  t.equal(campaign.counts.queued, 1, 'the rest waits for an operator')
  t.ok(lines.some((line) => line.includes('campaign paused itself')), 'logged')

  const resumed = await post(`/api/campaigns/${id}/resume`)
  t.equal(resumed.statusCode, 200)
  t.equal(resumed.json().campaign.paused_reason, null, 'resumed: the reason is gone')

  const single = await post('/api/trigger-single-call', { customer_id: 'K3' })
  t.equal(single.statusCode, 502)
  t.match(single.json(), { success: false, message: /^Exotel refused the call; the account may need KYC verification \(TRAI rules\): Calls cannot be placed/ })
})
