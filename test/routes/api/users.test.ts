import t from 'tap'
import { build, capturingLogger, PASSWORD, testUsers } from '../../helper.js'

const RATE = { AUTH_RATE_LIMIT_PER_IP: '1000', AUTH_RATE_LIMIT_PER_EMAIL: '1000' }

async function appWithAdmin (t: { teardown (fn: () => unknown): void }, env: Record<string, string> = {}) {
  const { lines, logger } = capturingLogger()
  const app = await build(t, { logger, env: { ...RATE, ...env } })
  const users = testUsers(app, lines)
  const admin = await users.withRole('admin')
  const as = (authorization: string) => ({
    get: (url: string) => app.inject({ url, headers: { authorization } }),
    post: (url: string, payload?: object) => app.inject({ method: 'POST', url, payload, headers: { authorization } }),
    patch: (url: string, payload: object) => app.inject({ method: 'PATCH', url, payload, headers: { authorization } })
  })
  const login = (payload: object) => app.inject({ method: 'POST', url: '/auth/login', payload })
  return { app, lines, users, admin, as, login, ...as(admin.authorization) }
}

/** The temporary password the local emulator "emailed" to `email`, read from the server's log. */
function temporaryPassword (lines: string[], email: string): string {
  const line = lines.find((l) => l.includes('temporary password') && l.includes(email))
  if (!line) throw new Error(`no invitation logged for ${email}`)
  return JSON.parse(line).code
}

t.test('an administrator invites a person; their first sign-in sets a password of their own; they have the role given', async (t) => {
  const { app, lines, users, post, get, login } = await appWithAdmin(t)
  const email = users.newEmail()
  const invited = await post('/api/users', { email, role: 'operator' })
  t.equal(invited.statusCode, 201)
  t.match(invited.json(), {
    success: true,
    message: `Invited ${email} as operator`,
    user: { email, role: 'operator', enabled: true, status: 'FORCE_CHANGE_PASSWORD', username: /./, sub: /./ },
    temporary_password_sent_to: 'server-log'
  })
  t.equal((await post('/api/users', { email, role: 'viewer' })).statusCode, 409, 'the same email twice: 409')

  const temporary = temporaryPassword(lines, email)
  const wrong = await login({ email, password: 'not-the-temporary-one' })
  t.same({ status: wrong.statusCode, body: wrong.json() }, { status: 401, body: { success: false, message: 'Invalid email or password' } },
    'a wrong temporary password is refused as any wrong password')
  const asked = await login({ email, password: temporary })
  t.equal(asked.statusCode, 403)
  t.match(asked.json(), { success: false, new_password_required: true, message: /temporary password/ })
  const first = await login({ email, password: temporary, new_password: PASSWORD })
  t.equal(first.statusCode, 200)
  t.match(first.json().user, { email, role: 'operator' })
  const refreshed = await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: first.json().refresh_token } })
  t.equal(refreshed.statusCode, 200, 'the first sign-in\'s refresh token works')
  const again = await login({ email, password: PASSWORD })
  t.equal(again.statusCode, 200, 'then the new password signs in')
  t.equal((await login({ email, password: temporary })).statusCode, 401, 'and the temporary one no longer does')

  const listed = (await get('/api/users')).json()
  t.match(listed.users.find((u: { email: string }) => u.email === email), { role: 'operator', status: 'CONFIRMED', enabled: true })
})

t.test('a role change and a disabling take effect on the person\'s next request; nobody changes their own access', async (t) => {
  const { app, users, admin, as, patch, login } = await appWithAdmin(t)
  const person = await users.withRole('operator')
  const them = as(person.authorization)
  t.equal((await them.post('/api/suppressions', { phones: ['9000000105'] })).statusCode, 201, 'an operator may act')
  const username = (await app.cognitoUsers.get(person.email)).username

  // Tokens carry the role they were issued with: the change must refuse the ones the person holds.
  await new Promise((resolve) => setTimeout(resolve, 1100)) // a token from an earlier second than the change
  const demoted = await patch(`/api/users/${username}`, { role: 'viewer' })
  t.equal(demoted.statusCode, 200)
  t.match(demoted.json(), { success: true, message: `${person.email}: now viewer`, user: { role: 'viewer' } })
  const stale = await them.get('/api/customers')
  t.equal(stale.statusCode, 401, 'the token from before the change is refused')
  t.match(stale.json().message, /access changed/)
  const refreshed = await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: person.refresh_token } })
  t.equal(refreshed.statusCode, 200, 'a refresh gives a token with the new role')
  const asViewer = as(`Bearer ${refreshed.json().access_token as string}`)
  t.equal((await asViewer.get('/api/customers')).statusCode, 200, 'a viewer reads')
  const refused = await asViewer.post('/api/suppressions', { phones: ['9000000205'] })
  t.same({ status: refused.statusCode, body: refused.json() },
    { status: 403, body: { success: false, message: 'This needs the operator role; you are a viewer' } })
  t.equal((await app.db.query("SELECT 1 FROM suppression WHERE phone = '+919000000205'")).rowCount, 0, 'nothing written')

  await new Promise((resolve) => setTimeout(resolve, 1100))
  const disabled = await patch(`/api/users/${username}`, { enabled: false })
  t.match(disabled.json(), { message: `${person.email}: disabled`, user: { enabled: false } })
  t.equal((await asViewer.get('/api/customers')).statusCode, 401, 'a disabled person\'s token is refused')
  t.equal((await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: person.refresh_token } })).statusCode, 401,
    'and cannot be refreshed')
  t.equal((await login({ email: person.email, password: PASSWORD })).statusCode, 401, 'nor can they sign in')
  t.match((await patch(`/api/users/${username}`, { enabled: true })).json(), { message: `${person.email}: enabled` })
  t.equal((await login({ email: person.email, password: PASSWORD })).statusCode, 200, 'enabled again, they sign in')
  t.match((await patch(`/api/users/${username}`, { role: 'viewer' })).json(), { message: `${person.email}: nothing changed` })

  const self = (await app.cognitoUsers.get(admin.email)).username
  const own = await patch(`/api/users/${self}`, { role: 'viewer' })
  t.same({ status: own.statusCode, body: own.json() }, {
    status: 409, body: { success: false, message: 'Nobody may change their own role or disable themselves: ask another administrator' }
  })
  t.equal((await patch('/api/users/nobody-here', { role: 'viewer' })).statusCode, 404, 'an unknown person: 404')
  t.equal((await patch(`/api/users/${username}`, {})).statusCode, 400, 'a change must say what')
  t.equal((await them.get('/api/users')).statusCode, 401, 'the old operator token stays refused')
  const operator = await users.withRole('operator')
  const notAdmin = await as(operator.authorization).get('/api/users')
  t.same(notAdmin.json(), { success: false, message: 'This needs the admin role; you are an operator' })
})
