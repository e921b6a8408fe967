import { randomUUID } from 'node:crypto'
import type { RouteOptions } from 'fastify'
import t from 'tap'
import { build, capturingLogger, FAST_CALLS, multipartFile, says, scriptedConfig, testUsers } from '../helper.js'

/**
 * Input that is not understood is refused, on every route under /api and /auth: the routes are taken from the app
 * as it registers them, so a new route without an entry in VALID below fails this test until it has one.
 * Each entry is a request the route would accept; the test adds an unknown query parameter, an unknown body
 * property, and the typos given, and expects a 400 naming the property, with nothing written or dialled.
 */
const BATCH = randomUUID()
const CALL = randomUUID()
const ASSISTANT = randomUUID()
const WEBHOOK = randomUUID()
const SCRIPTED = scriptedConfig({ greeting: says('Hello {{ name }}. Press 1.'), outcomes: [{ name: 'confirmed' }] })

interface Sample {
  url: string
  body?: Record<string, unknown>
  /** Bodies with a typo or an unknown property, each with the message it must get. */
  typos?: Array<[Record<string, unknown>, string]>
  multipart?: boolean
}

const VALID: Record<string, Sample> = {
  'POST /auth/signup': {
    url: '/auth/signup',
    body: { email: 'typo@example.com', password: 'Passw0rd!long' },
    typos: [
      [{ email: 'typo@example.com', password: 'Passw0rd!long', firstname: 'Asha' }, "body has no property 'firstname'"]
    ]
  },
  'POST /auth/confirm-signup': { url: '/auth/confirm-signup', body: { email: 'typo@example.com', confirmation_code: '123456' } },
  'POST /auth/login': { url: '/auth/login', body: { email: 'typo@example.com', password: 'Passw0rd!long' } },
  'POST /auth/refresh': { url: '/auth/refresh', body: { refresh_token: 'x' } },
  'POST /auth/logout': {
    url: '/auth/logout',
    body: {},
    typos: [[{ refreshtoken: 'x' }, "body has no property 'refreshtoken'"]]
  },
  'POST /auth/resend-confirmation': { url: '/auth/resend-confirmation', body: { email: 'typo@example.com' } },
  'POST /auth/forgot-password': { url: '/auth/forgot-password', body: { email: 'typo@example.com' } },
  'POST /auth/confirm-forgot-password': {
    url: '/auth/confirm-forgot-password', body: { email: 'typo@example.com', confirmation_code: '123456', new_password: 'Passw0rd!long2' }
  },
  'POST /auth/change-password': { url: '/auth/change-password', body: { previous_password: 'a', proposed_password: 'b' } },
  'GET /auth/me': { url: '/auth/me' },
  'GET /api/audit': { url: '/api/audit?action=campaign.' },
  'GET /api/calls/export': { url: '/api/calls/export?format=xlsx&per=customer' },
  'GET /api/campaigns/:id/export': { url: `/api/campaigns/${BATCH}/export?per=attempt` },
  'GET /api/analytics/series': { url: '/api/analytics/series?bucket=hour' },
  'POST /api/webhooks': {
    url: '/api/webhooks',
    body: { url: 'https://crm.example.com/hooks', events: ['upload.completed'] },
    typos: [[{ url: 'https://crm.example.com/hooks', events: ['upload.completed'], event: 'x' }, "body has no property 'event'"]]
  },
  'GET /api/webhooks': { url: '/api/webhooks' },
  'GET /api/notices': { url: '/api/notices' },
  'GET /api/caller-ids': { url: '/api/caller-ids?hours=48' },
  'PATCH /api/webhooks/:id': { url: `/api/webhooks/${WEBHOOK}`, body: { enabled: true }, typos: [[{ enable: true }, "body has no property 'enable'"]] },
  'DELETE /api/webhooks/:id': { url: `/api/webhooks/${WEBHOOK}` },
  'POST /api/webhooks/:id/rotate-secret': { url: `/api/webhooks/${WEBHOOK}/rotate-secret` },
  'GET /api/webhooks/:id/deliveries': { url: `/api/webhooks/${WEBHOOK}/deliveries?limit=5` },
  'POST /api/webhooks/:id/deliveries/:delivery/redeliver': { url: `/api/webhooks/${WEBHOOK}/deliveries/${WEBHOOK}/redeliver` },
  'GET /api/users': { url: '/api/users' },
  'POST /api/users': {
    url: '/api/users',
    body: { email: 'typo-invite@example.com', role: 'viewer' },
    typos: [[{ email: 'typo-invite@example.com', role: 'viewer', roles: 'admin' }, "body has no property 'roles'"]]
  },
  'PATCH /api/users/:username': {
    url: '/api/users/typo-user',
    body: { role: 'viewer' },
    typos: [[{ enable: false }, "body has no property 'enable'"]]
  },
  'POST /api/trigger-single-call': {
    url: '/api/trigger-single-call',
    body: { customer_id: 'C1' },
    typos: [[{ customer_id: 'C1', customer: 'C2' }, "body has no property 'customer'"]]
  },
  'POST /api/trigger-bulk-calls': {
    url: '/api/trigger-bulk-calls',
    body: { filter: {}, dry_run: true },
    typos: [
      [{ filter: { serch: 'Asha' } }, "body.filter has no property 'serch'"],
      [{ filter: { search: 'Asha' }, dryrun: true }, "body has no property 'dryrun'"],
      [{ filter: {}, calling_window: { timezone: 'Asia/Kolkata', days: ['mon'], hours: ['09:00-18:00'], holidays: [] } },
        "body.calling_window has no property 'holidays'"],
      [{ customer_ids: ['C1'], filter: { status: 'none', upload: BATCH } }, "body.filter has no property 'upload'"]
    ]
  },
  'GET /api/batches': { url: '/api/batches?limit=5' },
  'GET /api/batches/:id': { url: `/api/batches/${BATCH}` },
  'POST /api/batches/:id/cancel': {
    url: `/api/batches/${BATCH}/cancel`,
    typos: [[{ force: true }, "body has no property 'force'"]]
  },
  'GET /api/analytics': { url: `/api/analytics?batch_id=${BATCH}` },
  'GET /api/calls': { url: '/api/calls?status=completed&outcome=confirmed' },
  'GET /api/calls/:id': { url: `/api/calls/${CALL}` },
  'GET /api/calls/:id/recording': { url: `/api/calls/${CALL}/recording` },
  'POST /api/upload-customers': { url: '/api/upload-customers', multipart: true },
  'GET /api/customers': { url: '/api/customers?search=Asha' },
  'GET /api/customers/:id': { url: '/api/customers/C1' },
  'GET /api/customers/:id/export': { url: '/api/customers/C1/export' },
  'PATCH /api/customers/:id': {
    url: '/api/customers/C1',
    body: { name: 'Asha R.' },
    typos: [[{ name: 'Asha R.', attributes: { 'Amount Due': '900' }, phon: '9876543210' }, "body has no property 'phon'"]]
  },
  'DELETE /api/customers/:id': { url: '/api/customers/C1', typos: [[{ cascade: true }, "body has no property 'cascade'"]] },
  'GET /api/events': { url: `/api/events?batch_id=${BATCH}` },
  'GET /api/suppressions': { url: '/api/suppressions' },
  'POST /api/suppressions': {
    url: '/api/suppressions',
    body: { phones: ['+919876543210'] },
    typos: [[{ phones: ['+919876543210'], reasons: 'asked' }, "body has no property 'reasons'"]]
  },
  'POST /api/suppressions/upload': { url: '/api/suppressions/upload', multipart: true },
  'DELETE /api/suppressions': { url: '/api/suppressions?phone=%2B919876543210' },
  'GET /api/uploads': { url: '/api/uploads' },
  'POST /api/assistants': {
    url: '/api/assistants',
    body: { name: 'Typo', kind: 'scripted', config: SCRIPTED },
    typos: [
      [{ name: 'Typo', kind: 'scripted', config: { ...SCRIPTED, greting: says('Hi') } }, "body.config has no property 'greting'"],
      [{ name: 'Typo', kind: 'scripted', config: { ...SCRIPTED, greeting: { en: 'Hi', hindi: 'Hi' } } }, "body.config.greeting has no property 'hindi'"],
      [{ name: 'Typo', kind: 'scripted', config: { ...SCRIPTED, instructions: 'Be nice' } }, "body.config has no property 'instructions'"],
      [{ name: 'Typo', kind: 'robot', config: SCRIPTED }, "body.kind 'robot' is not one of the kinds this takes"],
      [{ name: 'Typo', config: SCRIPTED }, "body must have required property 'kind'"],
      [{ name: 'Typo', kind: 7, config: SCRIPTED }, 'body must have a kind (a string)']
    ]
  },
  'GET /api/assistants': { url: '/api/assistants?limit=5' },
  'GET /api/assistants/fields': { url: '/api/assistants/fields' },
  'GET /api/assistants/:id': { url: `/api/assistants/${ASSISTANT}` },
  'PATCH /api/assistants/:id': {
    url: `/api/assistants/${ASSISTANT}`,
    body: { kind: 'scripted', name: 'Renamed' },
    typos: [[{ kind: 'scripted', nmae: 'Renamed' }, "body has no property 'nmae'"]]
  },
  'DELETE /api/assistants/:id': { url: `/api/assistants/${ASSISTANT}`, typos: [[{ hard: true }, "body has no property 'hard'"]] },
  'GET /api/assistants/:id/versions': { url: `/api/assistants/${ASSISTANT}/versions` },
  'POST /api/assistants/:id/rehearse': {
    url: `/api/assistants/${ASSISTANT}/rehearse`,
    body: { customer_id: 'C1' },
    typos: [[{ customer_id: 'C1', callers: 5 }, "body has no property 'callers'"]]
  },
  'POST /api/campaigns': {
    url: '/api/campaigns',
    body: { name: 'December', filter: {} },
    typos: [
      [{ name: 'December', filter: {}, rules: { retry: { on: ['busy'], retries: 1, delay_seconds: 60, backoff: 2 } } },
        "body.rules.retry has no property 'backoff'"],
      [{ name: 'December', customer_ids: ['C1'], schedule: {} }, "body has no property 'schedule'"]
    ]
  },
  'GET /api/campaigns': { url: '/api/campaigns?limit=5' },
  'GET /api/campaigns/:id': { url: `/api/campaigns/${BATCH}` },
  'PATCH /api/campaigns/:id': { url: `/api/campaigns/${BATCH}`, body: { name: 'January' }, typos: [[{ nme: 'January' }, "body has no property 'nme'"]] },
  'GET /api/campaigns/:id/preview': { url: `/api/campaigns/${BATCH}/preview?limit=10` },
  'GET /api/campaigns/:id/calls': { url: `/api/campaigns/${BATCH}/calls?limit=10` },
  'POST /api/campaigns/:id/start': {
    url: `/api/campaigns/${BATCH}/start`,
    body: { fingerprint: 'abc' },
    typos: [[{ fingerprint: 'abc', force: true }, "body has no property 'force'"]]
  },
  'POST /api/campaigns/:id/pause': { url: `/api/campaigns/${BATCH}/pause`, typos: [[{ force: true }, "body has no property 'force'"]] },
  'POST /api/campaigns/:id/resume': { url: `/api/campaigns/${BATCH}/resume`, typos: [[{ force: true }, "body has no property 'force'"]] },
  'POST /api/campaigns/:id/cancel': { url: `/api/campaigns/${BATCH}/cancel`, typos: [[{ force: true }, "body has no property 'force'"]] },
  'POST /api/assistants/:id/preview': {
    url: `/api/assistants/${ASSISTANT}/preview`,
    body: { fields: { name: 'Asha' } },
    typos: [[{ customer: 'C1' }, "body has no property 'customer'"]]
  }
}

t.test('every route under /api and /auth refuses what it does not understand, naming it, and writes nothing', async (t) => {
  const routes: RouteOptions[] = []
  const { lines, logger } = capturingLogger()
  const app = await build(t, {
    logger,
    env: { ...FAST_CALLS, AUTH_RATE_LIMIT_PER_IP: '1000', AUTH_RATE_LIMIT_PER_EMAIL: '1000' },
    onRoute: (route) => { routes.push(route) }
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const user = await testUsers(app, lines).withRole('admin') // every route is open to an administrator
  const authorization = `Bearer ${user.access_token as string}`
  const csv = 'customer_id,name,phone\nC1,Asha Rao,9876543210\nC2,Ravi Kumar,9123456780\n'
  const { payload, headers } = multipartFile(csv)
  await app.inject({ method: 'POST', url: '/api/upload-customers', payload, headers: { ...headers, authorization } })
  const counts = async () => (await app.db.query(
    `SELECT (SELECT count(*) FROM customer) AS customers, (SELECT count(*) FROM call) AS calls,
       (SELECT count(*) FROM campaign) AS batches, (SELECT count(*) FROM suppression) AS suppressions,
       (SELECT count(*) FROM customer_upload) AS uploads, (SELECT count(*) FROM assistant_version) AS assistant_versions`
  )).rows[0]
  const before = await counts()
  const codesBefore = lines.filter((line) => line.includes('local Cognito')).length

  const strict = routes.filter((route) => /^\/(api|auth)\//.test(route.url) && !route.websocket)
    .flatMap((route) => [route.method].flat().filter((method) => method !== 'HEAD').map((method) => `${method} ${route.url}`))
  t.ok(strict.length >= 28, `${strict.length} routes walked`)
  for (const name of strict) {
    const sample = VALID[name]
    if (!sample) {
      t.fail(`${name} has no entry in this test's table: add a request it accepts`)
      continue
    }
    const [method] = name.split(' ') as ['GET' | 'POST' | 'PATCH' | 'DELETE']
    const send = (url: string, body?: unknown) => {
      if (sample.multipart) {
        const file = multipartFile('phone\n9876543211\n')
        return app.inject({ method, url, payload: file.payload, headers: { ...file.headers, authorization } })
      }
      return app.inject({ method, url, ...body === undefined ? {} : { payload: body as object }, headers: { authorization } })
    }
    const withQuery = `${sample.url}${sample.url.includes('?') ? '&' : '?'}pagesize=5`
    const query = await send(withQuery, sample.body)
    t.equal(query.statusCode, 400, `${name} with an unknown query parameter: 400`)
    t.same(query.json(), { success: false, message: "query has no property 'pagesize'" }, `${name}: the parameter is named`)
    if (method !== 'GET' && !sample.multipart) {
      const extra = await send(sample.url, { ...sample.body, zzz: 1 })
      t.equal(extra.statusCode, 400, `${name} with an unknown body property: 400`)
      t.same(extra.json(), { success: false, message: "body has no property 'zzz'" }, `${name}: the property is named`)
    }
    if (sample.multipart) {
      const boundary = 'vcmStrict'
      const payload = `--${boundary}\r\nContent-Disposition: form-data; name="dry_run"\r\n\r\ntrue\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="c.csv"\r\n\r\nphone\n9876543211\r\n--${boundary}--\r\n`
      const extra = await app.inject({
        method, url: sample.url, payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, authorization }
      })
      t.equal(extra.statusCode, 400, `${name} with a form field beside the file: 400`)
      t.match(extra.json(), { success: false, message: /^body has no property 'dry_run'/ }, `${name}: the field is named`)
    }
    for (const [body, message] of sample.typos ?? []) {
      const typo = await send(sample.url, body)
      t.same({ status: typo.statusCode, body: typo.json() }, { status: 400, body: { success: false, message } }, `${name}: ${message}`)
    }
  }
  for (const name of Object.keys(VALID)) t.ok(strict.includes(name), `${name} in the table is a route of the app`)
  const cancel = (payload: string) => app.inject({
    method: 'POST', url: `/api/batches/${BATCH}/cancel`, payload, headers: { authorization, 'content-type': 'application/json' }
  })
  t.same((await cancel('"force"')).json(), { success: false, message: 'This route takes no body' })
  t.same((await cancel('[1]')).json(), { success: false, message: 'This route takes no body' })
  t.equal((await cancel('null')).statusCode, 404, 'null, as no body: the batch is looked for')

  t.same(await counts(), before, 'no customer, call, batch, suppression, upload or assistant written or deleted')
  t.equal(app.telephony.simulator!.calls.size, 0, 'nobody dialled')
  t.equal(lines.filter((line) => line.includes('local Cognito')).length, codesBefore, 'no code sent, no user made')
  const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: user.email, password: 'Passw0rd!long' } })
  t.equal(login.statusCode, 200, "the user's password was not changed")
})

t.test('Exotel\'s requests stay tolerant of fields this server does not know', async (t) => {
  const app = await build(t)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const token = new URL(app.telephony.statusCallbackUrl()).searchParams.get('token')!
  const passthru = await app.inject({ url: `/passthru-handler?token=${token}&CallSid=abc&NewField2030=yes&flow_id=1` })
  t.equal(passthru.statusCode, 200)
  const webhook = await app.inject({
    method: 'POST', url: `/exotel-webhook?token=${token}&Extra=1`, payload: { CallSid: 'abc', Status: 'completed', NewField2030: 'yes' }
  })
  t.equal(webhook.statusCode, 200)
  t.equal(webhook.json().message, 'Unknown call; ignored')
})
