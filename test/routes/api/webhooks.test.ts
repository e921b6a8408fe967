import t from 'tap'
import { Webhook } from 'standardwebhooks'
import { BACKOFF_SECONDS } from '../../../lib/webhooks/deliver.js'
import { CallCompletedEvent, CampaignFinishedEvent } from '../../../schemas/webhooks.js'
import { receiver } from '../../webhook-receiver.js'
import { build, capturingLogger, FAST_CALLS, multipartFile, schemaErrors, testClock, testUsers, until } from '../../helper.js'

async function setUp (t: Parameters<typeof receiver>[0], env: Record<string, string> = {}) {
  const clock = testClock()
  const { lines, logger } = capturingLogger()
  const app = await build(t, { logger, clock: clock.now, env })
  await app.listen({ host: '127.0.0.1', port: 0 }) // the dispatcher, whose upkeep sends, runs once the server listens
  const admin = await testUsers(app, lines).withRole('admin')
  const send = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    app.inject({ method, url, payload, headers: { authorization: admin.authorization } })
  const upload = (csv: string) => {
    const file = multipartFile(csv)
    return app.inject({ method: 'POST', url: '/api/upload-customers', ...file, headers: { ...file.headers, authorization: admin.authorization } })
  }
  return { app, clock, send, upload, lines }
}

t.test('an upload is delivered, signed as Standard Webhooks says, and logged; a refused file sends nothing', async (t) => {
  const hook = await receiver(t)
  const { send, upload } = await setUp(t)
  const made = await send('POST', '/api/webhooks', { url: hook.url, events: ['upload.completed'], description: 'CRM' })
  t.equal(made.statusCode, 201)
  const { webhook, secret } = made.json()
  t.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/)
  t.notOk(JSON.stringify((await send('GET', '/api/webhooks')).json()).includes(secret), 'the secret is shown once, never listed')
  const other = (await send('POST', '/api/webhooks', { url: `${hook.url}/off`, events: ['upload.completed'] })).json().webhook
  await send('PATCH', `/api/webhooks/${other.id as string}`, { enabled: false })

  t.equal((await upload('phone\n')).statusCode, 400, 'a file with no rows is refused')
  t.equal((await upload('customer_id,name,phone\nW1,Asha,9000000100\nW2,Ravi,not a number\n')).statusCode, 200)
  await until(async () => hook.received.length === 1, 'the delivery')
  const [delivery] = hook.received
  const verified = new Webhook(secret).verify(delivery!.body, delivery!.headers as Record<string, string>) as Record<string, unknown>
  t.match(verified, {
    type: 'upload.completed', timestamp: /^\d{4}-/, data: { file_name: 'customers.csv', total: 2, inserted: 1, updated: 0, rejected: 1, upload_id: /./ }
  }, 'verified as a receiver would, with the standardwebhooks package')
  t.match(delivery!.headers['webhook-signature'], /^v1,[A-Za-z0-9+/=]+$/)
  await new Promise((resolve) => setTimeout(resolve, 1200))
  t.equal(hook.received.length, 1, 'only the subscribed, enabled endpoint; the refused file sent nothing')

  const log = (await send('GET', `/api/webhooks/${webhook.id as string}/deliveries`)).json()
  t.match(log.deliveries, [{ id: delivery!.headers['webhook-id'], event: 'upload.completed', status: 'delivered', next_attempt_at: null, attempts: [{ status_code: 204, error: null }] }])
  const again = await send('POST', `/api/webhooks/${webhook.id as string}/deliveries/${log.deliveries[0].id as string}/redeliver`)
  t.equal(again.statusCode, 200)
  await until(async () => hook.received.length === 2, 'the delivery again')
  t.equal(hook.received[1]!.headers['webhook-id'], delivery!.headers['webhook-id'], 'a repeat carries the same webhook-id')
  t.equal((await send('POST', `/api/webhooks/${other.id as string}/deliveries/${log.deliveries[0].id as string}/redeliver`)).statusCode, 404,
    'another endpoint\'s delivery')

  // A new secret: for a day both sign, so the receiver may switch when it likes.
  const rotated = (await send('POST', `/api/webhooks/${webhook.id as string}/rotate-secret`)).json()
  t.match(rotated, { secret: /^whsec_/, webhook: { previous_secret_until: /./ } })
  await upload('customer_id,name,phone\nW3,Meena,9000000300\n')
  await until(async () => hook.received.length === 3, 'a delivery after the rotation')
  const signed = hook.received[2]!
  t.match(signed.headers['webhook-signature'], /^v1,\S+ v1,\S+$/, 'two signatures')
  for (const key of [secret, rotated.secret]) t.ok(new Webhook(key).verify(signed.body, signed.headers as Record<string, string>), 'each secret verifies')

  const nowhere = await send('POST', '/api/webhooks', { url: 'https://no-such-host.invalid/hooks', events: ['upload.completed'] })
  t.same(nowhere.json(), { success: false, message: 'body.url is refused: its host no-such-host.invalid is not found' })
  const moved = await send('PATCH', `/api/webhooks/${other.id as string}`, { url: `${hook.url}/moved`, events: ['upload.completed'] })
  t.match(moved.json().webhook, { url: `${hook.url}/moved`, enabled: false }, 'moved, still off')
  t.equal((await send('PATCH', `/api/webhooks/${other.id as string}`, { url: 'https://no-such-host.invalid/x' })).statusCode, 400)
  t.equal((await send('DELETE', `/api/webhooks/${other.id as string}`)).statusCode, 200)
  t.equal((await send('DELETE', `/api/webhooks/${other.id as string}`)).statusCode, 404)
  t.equal((await send('PATCH', `/api/webhooks/${other.id as string}`, { description: null })).statusCode, 404)
  t.equal((await send('GET', `/api/webhooks/${other.id as string}/deliveries`)).statusCode, 404)
  t.equal((await send('POST', `/api/webhooks/${other.id as string}/rotate-secret`)).statusCode, 404)
})

t.test('a failing endpoint is retried with growing waits for about a day, then switched off', async (t) => {
  const hook = await receiver(t)
  hook.state.mode = 'fail'
  const { app, lines, send, upload, clock } = await setUp(t)
  const { webhook } = (await send('POST', '/api/webhooks', { url: hook.url, events: ['upload.completed'] })).json()
  await upload('customer_id,name,phone\nF1,Asha,9000000100\n')
  await until(async () => hook.received.length === 1, 'the first attempt')
  const log = async () => (await send('GET', `/api/webhooks/${webhook.id as string}/deliveries`)).json().deliveries[0]
  await until(async () => (await log()).attempts.length === 1, 'the attempt recorded')
  t.match(await log(), { status: 'pending', attempts: [{ status_code: 500, error: 'answered 500' }], next_attempt_at: /./ })
  for (const [index, wait] of BACKOFF_SECONDS.entries()) {
    clock.advance(wait * 1000)
    await until(async () => (await log()).attempts.length === index + 2, `attempt ${index + 2}`)
  }
  t.match(await log(), { status: 'failed', next_attempt_at: null }, `after ${BACKOFF_SECONDS.length + 1} attempts over a day`)
  t.equal(hook.received.length, BACKOFF_SECONDS.length + 1)
  t.equal(new Set(hook.received.map((r) => r.headers['webhook-id'])).size, 1, 'every attempt with the same webhook-id')
  const off = (await send('GET', '/api/webhooks')).json().webhooks[0]
  t.match(off, { enabled: false, disabled_reason: 'Switched off after failing for a day: the last attempt answered 500' })
  const viewer = await testUsers(app, lines).withRole('viewer')
  const notices = async () => (await app.inject({ url: '/api/notices', headers: { authorization: viewer.authorization } })).json().notices
  t.match(await notices(), [{
    kind: 'webhook-off',
    link: '#/webhooks',
    since: /./,
    message: `Webhooks to ${new URL(hook.url).host} are switched off: Switched off after failing for a day: the last attempt answered 500. ` +
      'Deliveries wait until an administrator switches it on again.'
  }], 'everyone signed in is told, on the dashboard')

  hook.state.mode = 'ok'
  const on = (await send('PATCH', `/api/webhooks/${webhook.id as string}`, { enabled: true, description: 'fixed' })).json().webhook
  t.match(on, { enabled: true, disabled_reason: null, description: 'fixed' }, 'switched on again by the operator')
  t.same(await notices(), [], 'and the notice is gone')
})

t.test('an endpoint that does not answer in time is a failed attempt', async (t) => {
  const hook = await receiver(t)
  hook.state.mode = 'silent'
  const { send, upload } = await setUp(t, { WEBHOOK_TIMEOUT_SECONDS: '1' })
  const { webhook } = (await send('POST', '/api/webhooks', { url: hook.url, events: ['upload.completed'] })).json()
  await upload('customer_id,name,phone\nS1,Asha,9000000100\n')
  const log = async () => (await send('GET', `/api/webhooks/${webhook.id as string}/deliveries`)).json().deliveries[0]
  await until(async () => (await log())?.attempts.length === 1, 'the attempt', 200)
  t.match((await log()).attempts[0], { status_code: null, error: 'no answer within 1000 ms' })
})

t.test('a campaign\'s calls, as each ends, and the campaign\'s end are delivered, each as its schema says', async (t) => {
  const hook = await receiver(t)
  const { send, upload } = await setUp(t, { ...FAST_CALLS, CALL_RETRIES: '0' })
  const { secret } = (await send('POST', '/api/webhooks', { url: hook.url, events: ['call.completed', 'campaign.finished'] })).json()
  // 0 answers and presses 1 (confirmed); 1 is busy.
  await upload('customer_id,name,phone\nK1,Asha,9000000100\nK2,Ravi,9000000201\n')
  const campaign = (await send('POST', '/api/campaigns', {
    name: 'Dues', customer_ids: ['K1', 'K2'], rules: { retry: { on: ['busy'], retries: 0, delay_seconds: 60 }, follow_up: { delay_seconds: 60, max: 0 } }
  })).json().campaign
  const { fingerprint } = (await send('GET', `/api/campaigns/${campaign.id as string}/preview`)).json()
  t.equal((await send('POST', `/api/campaigns/${campaign.id as string}/start`, { fingerprint })).statusCode, 202)
  await until(async () => hook.received.length === 3, 'two calls and the campaign', 800)
  const events = hook.received.map((delivery) => new Webhook(secret).verify(delivery.body, delivery.headers as Record<string, string>) as {
    type: string, data: Record<string, unknown>
  })
  const calls = events.filter((event) => event.type === 'call.completed')
  for (const event of calls) t.same(schemaErrors(CallCompletedEvent, event), [], `${event.data.customer_id as string}: as its schema says`)
  t.match(calls.find((event) => event.data.customer_id === 'K1')!.data, {
    status: 'completed',
    outcome: 'confirmed',
    campaign_id: campaign.id,
    attempt: 1,
    phone: '+919000000100',
    transcript: [{ speaker: 'assistant', text: /./ }],
    stop_reason: /./
  })
  t.match(calls.find((event) => event.data.customer_id === 'K2')!.data, { status: 'busy', outcome: null, transcript: [] })
  const finished = events.find((event) => event.type === 'campaign.finished')!
  t.same(schemaErrors(CampaignFinishedEvent, finished), [], 'the campaign\'s end, as its schema says')
  t.match(finished.data, { campaign_id: campaign.id, name: 'Dues', status: 'finished', customers: 2, counts: { completed: 1, busy: 1 }, outcomes: { confirmed: 1 } })
  await new Promise((resolve) => setTimeout(resolve, 1200))
  t.equal(hook.received.length, 3, 'each once')
  t.match(calls.find((event) => event.data.customer_id === 'K1')!.data.quality, { first_audio_ms: Number, response_delays_ms: [Number] },
    'how the call sounded: the reply after the key')
  const { analytics } = (await send('GET', `/api/campaigns/${campaign.id as string}`)).json().campaign
  t.match(analytics.quality, { calls_measured: 1, response_delay_ms: { p50: Number, p95: Number } }, 'and over the campaign')
})

t.test('a slow endpoint gets at most a few deliveries at once, and all of them', async (t) => {
  const hook = await receiver(t)
  hook.state.mode = 'slow'
  const { app, send } = await setUp(t)
  const { webhook } = (await send('POST', '/api/webhooks', { url: hook.url, events: ['upload.completed'] })).json()
  await app.db.query(`INSERT INTO webhook_delivery (webhook_id, event, payload)
    SELECT $1, 'upload.completed', jsonb_build_object('n', n) FROM generate_series(1, 12) AS n`, [webhook.id])
  const log = async () => (await send('GET', `/api/webhooks/${webhook.id as string}/deliveries`)).json().deliveries
  await until(async () => (await log()).every((delivery: { status: string }) => delivery.status === 'delivered'), 'every delivery recorded', 800)
  t.equal(hook.received.length, 12, 'all delivered, once each')
  t.equal(hook.state.mostOpen, 4, 'four at once, no more')
  t.ok((await log()).every((delivery: { attempts: Array<{ latency_ms: number }> }) => delivery.attempts[0]!.latency_ms >= 250), 'each attempt\'s latency logged')
})
