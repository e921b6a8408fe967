import t from 'tap'
import { build, capturingLogger, multipartFile, testUsers } from '../../helper.js'

/** The app listening on loopback (the simulator calls it back), a user, and customers of every outcome. */
async function callingApp (t: Parameters<typeof build>[0], env: Record<string, string> = {}) {
  const { lines, logger } = capturingLogger()
  const app = await build(t, { logger, env: { EXOTEL_SIMULATOR_RING_MS: '100', EXOTEL_SIMULATOR_TALK_MS: '200', ...env } })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const user = await testUsers(app, lines).signedIn()
  const authorization = `Bearer ${user.access_token as string}`
  const { payload, headers } = multipartFile('customer_id,name,phone\n' +
    'ANSWERS,Asha Rao,9000000005\nBUSY,Ravi Busy,9000000001\nNOANSWER,Nobody Home,9000000002\nFAILS,Bad Line,9000000003\n')
  await app.inject({ method: 'POST', url: '/api/upload-customers', payload, headers: { ...headers, authorization } })
  const call = (customerId: string) => app.inject({
    method: 'POST', url: '/api/trigger-single-call', payload: { customer_id: customerId }, headers: { authorization }
  })
  const get = (url: string) => app.inject({ url, headers: { authorization } })
  return { app, call, get, lines, sub: (await get('/auth/me')).json().user.sub as string }
}

/**
 * Polls a call until its status is terminal, then waits until its media stream (if it had one) has written all it
 * recorded: Exotel's final status may come in before the stream's last timeline entry is written.
 */
async function finished (get: (url: string) => Promise<{ json (): any }>, id: string, liveCalls: { none (): Promise<void> }) {
  for (let i = 0; i < 200; i++) {
    const call = (await get(`/api/calls/${id}`)).json().call
    if (['completed', 'busy', 'no-answer', 'failed', 'canceled'].includes(call.status)) {
      await liveCalls.none()
      return (await get(`/api/calls/${id}`)).json().call
    }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`call ${id} did not finish`)
}

t.test('single calls on the simulator reach their outcome, with a timeline', async (t) => {
  const { app, call, get, sub, lines } = await callingApp(t)

  const started = await call('ANSWERS')
  t.equal(started.statusCode, 200)
  t.match(started.json(), {
    success: true,
    message: 'Call initiated',
    call: {
      id: /^[0-9a-f-]{36}$/,
      customer_id: 'ANSWERS',
      customer_name: 'Asha Rao',
      phone: '+919000000005',
      status: 'initiated',
      exotel_sid: /^[0-9a-f]{32}$/,
      triggered_by: sub,
      attempt: 1,
      batch_id: null,
      dialled_at: String
    }
  })
  const again = await call('ANSWERS')
  t.equal(again.statusCode, 409, 'one live call per customer')
  t.same(again.json(), { success: false, message: 'This customer already has a call queued or in progress' })

  const answered = await finished(get, started.json().call.id, app.liveCalls)
  t.match(answered, { status: 'completed', answered_by: 'human', answered_at: String, ended_at: String, duration_seconds: Number })
  t.same(answered.events.map((e: { status: string, source: string }) => `${e.source}:${e.status}`), [
    'api:queued', 'api:initiated', 'exotel-callback:in-progress',
    'media-stream:in-progress', 'media-stream:in-progress', 'media-stream:in-progress', 'exotel-callback:completed'
  ], 'the media stream (start, who answered, stop) between answer and hang-up: straight onto it, no flow (the stream way)')
  t.match(app.telephony.simulator!.calls.get(answered.exotel_sid), { streamUrl: /^ws:\/\/127\.0\.0\.1:\d+\/media\?token=[\w.-]+&sample-rate=8000$/ },
    'Exotel was given the stream\'s URL with the call')

  for (const [customer, outcome] of [['BUSY', 'busy'], ['NOANSWER', 'no-answer'], ['FAILS', 'failed']] as const) {
    const id = (await call(customer)).json().call.id
    const ended = await finished(get, id, app.liveCalls)
    t.match(ended, { status: outcome, answered_at: null, ended_at: String }, customer)
  }
  t.equal((await get('/api/customers/BUSY')).json().customer.last_call_status, 'busy', 'the customer shows the outcome')
  t.equal((await call('ANSWERS')).statusCode, 200, 'a finished call frees the customer for another')

  const list = (await get('/api/calls?limit=2')).json()
  t.equal(list.total, 5)
  t.equal(list.calls.length, 2)
  t.equal(list.calls[0].customer_id, 'ANSWERS', 'newest first')
  t.equal((await get('/api/calls?status=busy')).json().total, 1)
  t.equal((await get('/api/calls?customer_id=ANSWERS')).json().total, 2)
  t.equal((await get('/api/calls?batch_id=00000000-0000-4000-8000-000000000000')).json().total, 0)

  const webhookToken = new URL(app.telephony.statusCallbackUrl()).searchParams.get('token')!
  const leaks = lines.filter((line) => line.includes(webhookToken) || /(?<![\d.])(\+?91|0)?9000000005(?!\d)/.test(line))
  t.same(leaks, [], 'neither the webhook token nor a phone number reaches the log')
  t.ok(lines.some((line) => line.includes('/media?token=[redacted]')), 'the requests themselves are logged')
})

t.test('the flow way (EXOTEL_CALL_MODE=flow): the answered call runs our flow, Passthru then /ws-url', async (t) => {
  const { app, call, get, lines } = await callingApp(t, { EXOTEL_CALL_MODE: 'flow' })
  const answered = await finished(get, (await call('ANSWERS')).json().call.id, app.liveCalls)
  t.same(answered.events.map((e: { status: string, source: string }) => `${e.source}:${e.status}`), [
    'api:queued', 'api:initiated', 'exotel-callback:in-progress', 'passthru:in-progress',
    'media-stream:in-progress', 'media-stream:in-progress', 'media-stream:in-progress', 'passthru:in-progress', 'exotel-callback:completed'
  ], 'the Passthru before the assistant and after it (no hand-off: 200, on to hang up)')
  t.equal(app.telephony.simulator!.calls.get(answered.exotel_sid)!.streamUrl, undefined)
  t.ok(lines.some((line) => line.includes('/passthru-handler?token=[redacted]')), 'the flow\'s requests, logged without the token')
})

t.test('calls that cannot be placed', async (t) => {
  const { call, get, app } = await callingApp(t)
  const unknown = await call('NOBODY')
  t.equal(unknown.statusCode, 404)
  t.same(unknown.json(), { success: false, message: 'Customer not found' })
  t.equal((await app.inject({ method: 'POST', url: '/api/trigger-single-call', payload: {} })).statusCode, 401)
  t.equal((await get('/api/calls/not-a-uuid')).statusCode, 400)
  t.same((await get('/api/calls/00000000-0000-4000-8000-000000000000')).json(), { success: false, message: 'Call not found' })

  // Exotel refuses: the call is recorded as failed, with Exotel's reason, and the customer may be called again.
  await app.telephony.simulator!.stop()
  const refused = await call('ANSWERS')
  t.equal(refused.statusCode, 502)
  t.match(refused.json(), { success: false, message: /^Exotel (did not answer|is unreachable)/ })
  const failed = (await get('/api/calls?customer_id=ANSWERS')).json().calls[0]
  t.match(failed, { status: 'failed', error: /Exotel/, exotel_sid: null })
})

t.test('in production without Exotel, calls answer 503', async (t) => {
  const app = await build(t, { env: { NODE_ENV: 'production', COGNITO_USER_POOL_ID: 'ap-south-1_x', COGNITO_CLIENT_ID: 'c' } })
  t.equal(app.telephony.mode, 'none')
  await t.rejects(app.telephony.exotel.connect({ to: '+919000000005', customField: 'x', statusCallback: 'http://x' }),
    { statusCode: 503, message: 'Exotel not configured' })
})
