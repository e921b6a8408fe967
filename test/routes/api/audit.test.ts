import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { startLocalCognito } from '../../../lib/auth/cognito-local.js'
import { build, capturingLogger, FAST_CALLS, multipartFile, PASSWORD, testUsers, until } from '../../helper.js'

const RATE = { AUTH_RATE_LIMIT_PER_IP: '1000', AUTH_RATE_LIMIT_PER_EMAIL: '1000' }

t.test('the audit trail: who did what, to what, from where; written with the action, never changed', async (t) => {
  const { lines, logger } = capturingLogger()
  const app = await build(t, { logger, env: { ...RATE, ...FAST_CALLS } })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const users = testUsers(app, lines)
  const admin = await users.withRole('admin')
  const operator = await users.withRole('operator')
  const send = (who: { authorization: string }, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    app.inject({ method, url, payload, headers: { authorization: who.authorization, 'x-forwarded-for': '203.0.113.7' } })

  const file = multipartFile('customer_id,name,phone\nC1,Asha Rao,9000000105\nC2,Ravi Kumar,9000000205\n', 'december.csv')
  await app.inject({ method: 'POST', url: '/api/upload-customers', ...file, headers: { ...file.headers, authorization: operator.authorization } })
  await send(operator, 'PATCH', '/api/customers/C1', { name: 'Asha R.' })
  const made = (await send(operator, 'POST', '/api/campaigns', { name: 'December dues', customer_ids: ['C1'] })).json().campaign
  const stale = await send(operator, 'POST', `/api/campaigns/${made.id as string}/start`, { fingerprint: 'not-the-preview' })
  t.equal(stale.statusCode, 409, 'a start refused...')
  await send(operator, 'POST', '/api/suppressions', { phones: ['9000000905'] })
  await send(operator, 'DELETE', '/api/suppressions?phone=%2B919000000905')
  const call = (await send(operator, 'POST', '/api/trigger-single-call', { customer_id: 'C2' })).json().call
  await until(async () => (await send(operator, 'GET', `/api/calls/${call.id as string}`)).json().call.status === 'completed', 'the call')
  await send(operator, 'DELETE', '/api/customers/C1')
  const invitee = users.newEmail()
  await send(admin, 'POST', '/api/users', { email: invitee, role: 'viewer' })

  const trail = await send(admin, 'GET', '/api/audit?limit=100')
  t.equal(trail.statusCode, 200)
  const { events, total } = trail.json()
  const actions = events.map((event: { action: string }) => event.action).reverse()
  t.same(actions, [
    'user.signed-in', 'user.signed-in', 'user.signed-in', 'user.signed-in', // each user signs in twice in withRole
    'customers.uploaded', 'customer.edited', 'campaign.created', 'do-not-call.added', 'do-not-call.removed',
    'call.started', 'customer.deleted', 'user.invited'
  ], 'every action, oldest last; the refused start left none')
  t.equal(total, 12)
  t.match(events.find((e: { action: string }) => e.action === 'customer.edited'), {
    actor: operator.user.sub,
    actor_kind: 'person',
    actor_email: operator.email,
    address: '127.0.0.1',
    target_type: 'customer',
    target_id: 'C1',
    summary: 'Edited: name',
    at: /^\d{4}-/
  }, 'a proxy\'s header is not believed unless TRUST_PROXY says so')
  t.match(events.find((e: { action: string }) => e.action === 'campaign.created'), { target_type: 'campaign', target_id: made.id, summary: 'Campaign "December dues" saved as a draft' })
  t.match(events.find((e: { action: string }) => e.action === 'customers.uploaded'), { summary: 'Uploaded december.csv' })
  t.match(events.find((e: { action: string }) => e.action === 'do-not-call.removed'), { summary: 'Took the number ending 0905 off the list' })
  t.match(events.find((e: { action: string }) => e.action === 'user.invited'), { actor: admin.user.sub, summary: `Invited ${invitee} as viewer` })
  const text = JSON.stringify(events)
  t.notMatch(text, /9000000|Asha|Ravi/, 'no customer\'s number or name in the trail')

  const campaigns = (await send(admin, 'GET', '/api/audit?action=campaign.')).json()
  t.same(campaigns.events.map((e: { action: string }) => e.action), ['campaign.created'], 'a family of actions')
  t.equal((await send(admin, 'GET', `/api/audit?actor=${admin.user.sub as string}`)).json().total, 3, 'one actor\'s')
  t.same((await send(admin, 'GET', '/api/audit?target_type=customer&target_id=C2')).json().events.map((e: { action: string }) => e.action),
    ['call.started'], 'one target\'s')
  const page = (await send(admin, 'GET', '/api/audit?limit=5&offset=10')).json()
  t.same({ n: page.events.length, total: page.total }, { n: 2, total: 12 }, 'a page')
  t.equal((await send(admin, 'GET', '/api/audit?limit=5&offset=50')).json().total, 12, 'past the end: the total still')
  const future = new Date(Date.now() + 60_000).toISOString()
  t.equal((await send(admin, 'GET', `/api/audit?from=${encodeURIComponent(future)}`)).json().total, 0)
  t.equal((await send(admin, 'GET', `/api/audit?to=${encodeURIComponent(future)}`)).json().total, 12)
  t.equal((await send(operator, 'GET', '/api/audit')).statusCode, 403, 'administrators only')

  await t.rejects(app.db.query("UPDATE audit_event SET summary = 'nothing happened'"), /append-only/)
  await t.rejects(app.db.query('DELETE FROM audit_event'), /append-only/)
  await t.rejects(app.db.query('TRUNCATE audit_event'), /append-only/)
})

t.test('a program is named by its client id; a person by their sub when Cognito cannot say their email', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'vcm-audit-'))
  const codes = new Map<string, string>()
  const emulator = await startLocalCognito({ dir, onCode: (email, code) => { codes.set(email, code) } })
  t.teardown(async () => {
    await emulator.stop()
    await rm(dir, { recursive: true, force: true })
  })
  const { lines, logger } = capturingLogger()
  const app = await build(t, {
    logger,
    env: { ...RATE, COGNITO_USER_POOL_ID: emulator.userPoolId, COGNITO_CLIENT_ID: emulator.clientId, COGNITO_ENDPOINT: emulator.endpoint }
  })
  const email = 'first.admin@example.com'
  await app.inject({ method: 'POST', url: '/auth/signup', payload: { email, password: PASSWORD } })
  await app.inject({ method: 'POST', url: '/auth/confirm-signup', payload: { email, confirmation_code: codes.get(email) } })
  const login = (await app.inject({ method: 'POST', url: '/auth/login', payload: { email, password: PASSWORD } })).json()
  t.equal(login.user.role, 'admin', 'the first person of an empty pool')
  await app.db.query(`INSERT INTO audit_event (actor, actor_kind, address, action, summary) VALUES
    ('crm-client', 'program', '10.0.0.1', 'do-not-call.added', 'Added 1 numbers (0 there already)')`)
  const read = async () => (await app.inject({ url: '/api/audit', headers: { authorization: `Bearer ${login.access_token as string}` } })).json()
  t.match((await read()).events, [
    { actor: 'crm-client', actor_kind: 'program', actor_email: null },
    { actor: login.user.sub, actor_kind: 'person', actor_email: email, action: 'user.signed-in' }
  ])

  await emulator.stop() // Cognito unreachable: the token, verified once, is still known
  const blind = await read()
  t.match(blind.events[1], { actor: login.user.sub, actor_email: null }, 'the trail is still read, people by their sub')
  t.ok(lines.some((line) => line.includes('the people\'s emails could not be read')), 'and the log says why')
})
