import type { RouteOptions } from 'fastify'
import t from 'tap'
import { allows, ROLES, type Role } from '../../lib/auth/roles.js'
import { build, capturingLogger, multipartFile, PASSWORD, testUsers } from '../helper.js'

const RATE = { AUTH_RATE_LIMIT_PER_IP: '1000', AUTH_RATE_LIMIT_PER_EMAIL: '1000' }

t.test('every route under /api declares a role, and each role is let through exactly where it may go', async (t) => {
  const routes: RouteOptions[] = []
  const { lines, logger } = capturingLogger()
  const app = await build(t, { logger, env: RATE, onRoute: (route) => { routes.push(route) } })
  const users = testUsers(app, lines)
  const tokens = {} as Record<Role, string>
  for (const role of ROLES) tokens[role] = (await users.withRole(role)).authorization
  // A person in no role group, whose token came from Cognito itself rather than this server's sign-in (which gives
  // a role to whoever has none): a user made in the AWS console, signed in through another app of the pool.
  const email = users.newEmail()
  await app.inject({ method: 'POST', url: '/auth/signup', payload: { email, password: PASSWORD } })
  await app.inject({ method: 'POST', url: '/auth/confirm-signup', payload: { email, confirmation_code: await users.codeFor(email) } })
  const bare = `Bearer ${(await app.cognito.login(email, PASSWORD)).accessToken}`
  const none = await app.inject({ url: '/api/customers', headers: { authorization: bare } })
  t.same({ status: none.statusCode, body: none.json() }, {
    status: 403, body: { success: false, message: 'This needs the viewer role; your account has no role yet: ask an administrator' }
  })
  t.match((await app.inject({ url: '/auth/me', headers: { authorization: bare } })).json().user, { role: null, groups: [] },
    'they may still ask who they are')
  t.match((await app.cognitoUsers.list()).find((user) => user.email === email), { role: null }, 'the people\'s list says so')
  t.equal((await app.cognitoUsers.get(email)).role, null)

  const api = routes.filter((route) => route.url.startsWith('/api/'))
    .flatMap((route) => [route.method].flat().filter((method) => method !== 'HEAD').map((method) => ({ method, route })))
  t.ok(api.length >= 40, `${api.length} routes walked`)
  const before = (await app.db.query('SELECT (SELECT count(*) FROM customer) + (SELECT count(*) FROM suppression) AS rows')).rows[0]
  for (const { method, route } of api) {
    const name = `${method} ${route.url}`
    const needed = route.config?.role
    t.ok(needed && ROLES.includes(needed), `${name} declares its role (${needed})`)
    // An unknown query parameter: a request let through is refused by validation (400) and does nothing.
    const url = `${route.url.replace(/:[a-z_]+/g, 'walk')}?role_walk=1`
    for (const role of ROLES) {
      const answer = await app.inject({ method: method as 'GET', url, headers: { authorization: tokens[role] } })
      if (allows(role, needed!)) {
        t.not(answer.statusCode, 403, `${name}: let through for ${role}`)
      } else {
        t.same({ status: answer.statusCode, body: answer.json() },
          { status: 403, body: { success: false, message: `This needs the ${needed} role; you are ${role === 'viewer' ? 'a' : 'an'} ${role}` } },
          `${name}: refused for ${role}`)
      }
    }
  }
  const after = (await app.db.query('SELECT (SELECT count(*) FROM customer) + (SELECT count(*) FROM suppression) AS rows')).rows[0]
  t.same(after, before, 'nothing was written by the walk')
})

t.test('a viewer sees phone numbers by their last four digits; an operator sees them whole', async (t) => {
  const { lines, logger } = capturingLogger()
  const app = await build(t, { logger, env: RATE })
  const users = testUsers(app, lines)
  const operator = await users.withRole('operator')
  const viewer = await users.withRole('viewer')
  const { payload, headers } = multipartFile('customer_id,name,phone,alternate\nC1,Asha Rao,9876543210,+919123456780\n')
  await app.inject({ method: 'POST', url: '/api/upload-customers', payload, headers: { ...headers, authorization: operator.authorization } })
  await app.inject({ method: 'POST', url: '/api/suppressions', payload: { phones: ['9000000105'] }, headers: { authorization: operator.authorization } })
  const read = async (url: string, who: { authorization: string }) => (await app.inject({ url, headers: { authorization: who.authorization } })).json()

  t.match((await read('/api/customers', operator)).customers[0], { phone: '+919876543210', attributes: { alternate: '+919123456780' } })
  const masked = (await read('/api/customers', viewer)).customers[0]
  t.match(masked, { name: 'Asha Rao', phone: '••••3210', attributes: { alternate: '••••6780' } },
    'the phone field, and any E.164 number among the uploaded columns')
  t.equal((await read('/api/customers/C1', viewer)).customer.phone, '••••3210')
  t.same((await read('/api/suppressions', viewer)).suppressions.map((s: { phone: string }) => s.phone), ['••••0105'])
  const exported = await app.inject({ url: '/api/customers/C1/export', headers: { authorization: viewer.authorization } })
  t.equal(exported.statusCode, 403, 'a viewer may not take a customer\'s whole record')
})

t.test('the OpenAPI document shows each route\'s role', async (t) => {
  const app = await build(t)
  const doc = (await app.inject({ url: '/docs/json' })).json()
  t.match(doc.paths['/api/customers'].get, { 'x-role': 'viewer', description: /Needs the \*\*viewer\*\* role/, responses: { 403: {} } })
  t.match(doc.paths['/api/users'].post, { 'x-role': 'admin', tags: ['users'] })
  t.match(doc.paths['/api/campaigns/{id}/start'].post, { 'x-role': 'operator' })
  t.notOk(doc.paths['/auth/login'].post['x-role'], 'public routes name none')
})
