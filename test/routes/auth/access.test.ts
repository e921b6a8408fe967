import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { accessPolicy } from '../../../lib/auth/access.js'
import { startLocalCognito } from '../../../lib/auth/cognito-local.js'
import { Config } from '../../../schemas/config.js'
import { build, capturingLogger, PASSWORD, testUsers } from '../../helper.js'

const RATE = { AUTH_RATE_LIMIT_PER_IP: '1000', AUTH_RATE_LIMIT_PER_EMAIL: '1000' }
const signup = (app: Awaited<ReturnType<typeof build>>, email: string) =>
  app.inject({ method: 'POST', url: '/auth/signup', payload: { email, password: PASSWORD } })

t.test('SIGNUP_MODE=invite: nobody signs up themselves, and nobody is made', async (t) => {
  const app = await build(t, { env: { ...RATE, SIGNUP_MODE: 'invite' } })
  const refused = await signup(app, 'walk-in@example.com')
  t.same({ status: refused.statusCode, body: refused.json() }, {
    status: 403, body: { success: false, message: 'Sign-up is by invitation only: ask an administrator to invite you' }
  })
  t.equal((await app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'walk-in@example.com', password: PASSWORD } })).statusCode,
    401, 'no account was made')
})

t.test('SIGNUP_MODE=domains: the listed domains sign up, others are refused', async (t) => {
  const app = await build(t, { env: { ...RATE, SIGNUP_MODE: 'domains', ALLOWED_EMAIL_DOMAINS: 'Example.com, @team.example.in' } })
  t.equal((await signup(app, `a.${Date.now()}@example.com`)).statusCode, 201)
  t.equal((await signup(app, `b.${Date.now()}@TEAM.example.in`)).statusCode, 201)
  const other = await signup(app, `c.${Date.now()}@elsewhere.com`)
  t.same(other.json(), {
    success: false, message: 'Sign-up is open to emails of example.com, team.example.in only: ask an administrator to invite you'
  })
  await t.rejects(build(t, { env: { SIGNUP_MODE: 'domains' } }), /SIGNUP_MODE=domains needs ALLOWED_EMAIL_DOMAINS/)
})

t.test('sign-up is by invitation in production unless SIGNUP_MODE says otherwise, and open elsewhere', async (t) => {
  const config = (env: Record<string, unknown>) => ({ SIGNUP_ROLE: 'viewer', ...env }) as unknown as Config
  t.equal(accessPolicy(config({ NODE_ENV: 'production' })).signupMode, 'invite')
  t.equal(accessPolicy(config({ NODE_ENV: 'development' })).signupMode, 'open')
  t.equal(accessPolicy(config({ NODE_ENV: 'production', SIGNUP_MODE: 'open' })).signupMode, 'open')
})

t.test('ADMIN_EMAILS are administrators from their first sign-in; others get SIGNUP_ROLE', async (t) => {
  const { lines, logger } = capturingLogger()
  const boss = `boss.${Date.now()}@example.com`
  const app = await build(t, { logger, env: { ...RATE, ADMIN_EMAILS: `someone@example.com, ${boss.toUpperCase()}`, SIGNUP_ROLE: 'viewer' } })
  const users = testUsers(app, lines)
  await signup(app, boss)
  await app.inject({ method: 'POST', url: '/auth/confirm-signup', payload: { email: boss, confirmation_code: await users.codeFor(boss) } })
  const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: boss, password: PASSWORD } })
  t.match(login.json().user, { email: boss, role: 'admin' })
  const me = await app.inject({ url: '/auth/me', headers: { authorization: `Bearer ${login.json().access_token as string}` } })
  t.match(me.json().user, { role: 'admin', groups: ['admin'] }, 'the token carries the role')
  t.match((await users.signedIn()).user, { role: 'viewer' }, 'anyone else: SIGNUP_ROLE')
})

t.test('the first person to sign in to an empty deployment becomes its administrator, and only one', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'vcm-first-admin-'))
  const codes = new Map<string, string>()
  const emulator = await startLocalCognito({ dir, onCode: (email, code) => { codes.set(email, code) } })
  t.teardown(async () => {
    await emulator.stop()
    await rm(dir, { recursive: true, force: true })
  })
  // The emulator as a Cognito of its own (the path real Cognito takes): a pool with nobody in it.
  const app = await build(t, {
    env: {
      ...RATE,
      SIGNUP_ROLE: 'viewer',
      COGNITO_USER_POOL_ID: emulator.userPoolId,
      COGNITO_CLIENT_ID: emulator.clientId,
      COGNITO_ENDPOINT: emulator.endpoint
    }
  })
  const people = ['first@example.com', 'second@example.com', 'third@example.com']
  for (const email of people) {
    const answer = await signup(app, email)
    t.equal(answer.json().code_sent_to, 'email', 'with a Cognito of its own, codes go by email')
    await app.inject({ method: 'POST', url: '/auth/confirm-signup', payload: { email, confirmation_code: codes.get(email) } })
  }
  const login = (email: string) => app.inject({ method: 'POST', url: '/auth/login', payload: { email, password: PASSWORD } })
  const together = await Promise.all(people.slice(0, 2).map(login))
  const roles = together.map((answer) => answer.json().user.role).sort()
  t.same(roles, ['admin', 'viewer'], 'two signing in at once: one administrator')
  t.equal((await login(people[2]!)).json().user.role, 'viewer', 'later people: SIGNUP_ROLE')
  t.same((await app.cognitoUsers.list()).map((u) => u.role).sort(), ['admin', 'viewer', 'viewer'])
})
