import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Fastify from 'fastify'
import fp from 'fastify-plugin'
import t from 'tap'
import app from '../../app.js'
import { AdminCreateUserCommand, CreateUserPoolClientCommand } from '@aws-sdk/client-cognito-identity-provider'
import { localCognitoClient, startLocalCognito } from '../../lib/auth/cognito-local.js'
import { build } from '../helper.js'

t.test('in production with no user pool: "Cognito not configured", and nothing is let through', async (t) => {
  const server = await build(t, { env: { NODE_ENV: 'production' } })
  const login = await server.inject({ method: 'POST', url: '/auth/login', payload: { email: 'a@b.co', password: 'x' } })
  t.equal(login.statusCode, 503)
  t.same(login.json(), { success: false, message: 'Cognito not configured' })
  const api = await server.inject({ method: 'GET', url: '/api/customers', headers: { authorization: 'Bearer a.b.c' } })
  t.equal(api.statusCode, 503)
  t.same(api.json(), { success: false, message: 'Cognito not configured' })
})

t.test('a user pool without an app client stops the start', async (t) => {
  const server = Fastify({ pluginTimeout: 0 })
  server.register(fp(app), { env: { DATA_DIR: 'memory://', COGNITO_USER_POOL_ID: 'ap-south-1_abc' } })
  await t.rejects(async () => { await server.ready() },
    { message: 'Invalid configuration: COGNITO_CLIENT_ID must be set with COGNITO_USER_POOL_ID' })
})

t.test('a real user pool in AWS is configured without contacting it at start', async (t) => {
  const server = await build(t, { env: { COGNITO_USER_POOL_ID: 'ap-south-1_abcdef123', COGNITO_CLIENT_ID: 'client' } })
  const api = await server.inject({ method: 'GET', url: '/api/customers', headers: { authorization: 'Bearer a.b.c' } })
  t.equal(api.statusCode, 401, 'a token that cannot be a Cognito token is refused before any network call')
})

t.test('a Cognito-compatible endpoint (a shared emulator) serves sign-in; an unreachable one answers 503', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'vcm-cognito-shared-'))
  const codes = new Map<string, string>()
  const emulator = await startLocalCognito({ dir, onCode: (email, code) => codes.set(email, code) })
  t.teardown(async () => { await emulator.stop(); await rm(dir, { recursive: true, force: true }) })
  const server = await build(t, {
    env: {
      COGNITO_USER_POOL_ID: emulator.userPoolId,
      COGNITO_CLIENT_ID: emulator.clientId,
      COGNITO_ENDPOINT: emulator.endpoint
    }
  })
  const email = 'shared@example.com'
  await server.inject({ method: 'POST', url: '/auth/signup', payload: { email, password: 'Passw0rd!long' } })
  await server.inject({ method: 'POST', url: '/auth/confirm-signup', payload: { email, confirmation_code: codes.get(email) } })
  const login = await server.inject({ method: 'POST', url: '/auth/login', payload: { email, password: 'Passw0rd!long' } })
  t.equal(login.statusCode, 200)
  const me = await server.inject({ method: 'GET', url: '/auth/me', headers: { authorization: `Bearer ${login.json().access_token}` } })
  t.equal(me.statusCode, 200)
  t.equal(me.json().user.email, email)

  // A confidential client (with a secret): every call that names a user carries SECRET_HASH.
  const cognito = localCognitoClient(emulator.endpoint)
  t.teardown(() => cognito.destroy())
  const confidential = await cognito.send(new CreateUserPoolClientCommand({
    UserPoolId: emulator.userPoolId,
    ClientName: 'confidential',
    GenerateSecret: true,
    ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']
  }))
  const withSecret = await build(t, {
    env: {
      COGNITO_USER_POOL_ID: emulator.userPoolId,
      COGNITO_CLIENT_ID: confidential.UserPoolClient!.ClientId!,
      COGNITO_CLIENT_SECRET: confidential.UserPoolClient!.ClientSecret ?? 'secret',
      COGNITO_ENDPOINT: emulator.endpoint
    }
  })
  const secretLogin = await withSecret.inject({ method: 'POST', url: '/auth/login', payload: { email, password: 'Passw0rd!long' } })
  t.equal(secretLogin.statusCode, 200, 'a confidential client signs in')

  // A user an administrator created must set a new password first.
  await cognito.send(new AdminCreateUserCommand({
    UserPoolId: emulator.userPoolId,
    Username: 'invited@example.com',
    TemporaryPassword: 'Temp-passw0rd!',
    MessageAction: 'SUPPRESS',
    UserAttributes: [{ Name: 'email', Value: 'invited@example.com' }]
  }))
  const challenged = await server.inject({
    method: 'POST', url: '/auth/login', payload: { email: 'invited@example.com', password: 'Temp-passw0rd!' }
  })
  t.equal(challenged.statusCode, 403)
  t.match(challenged.json(), { success: false, message: /new password/, new_password_required: true })
  const chosen = await withSecret.inject({
    method: 'POST', url: '/auth/login', payload: { email: 'invited@example.com', password: 'Temp-passw0rd!', new_password: 'Own-passw0rd!' }
  })
  t.equal(chosen.statusCode, 200, 'the new password is set, through a confidential client too')

  await emulator.stop()
  const down = await server.inject({ method: 'POST', url: '/auth/login', payload: { email, password: 'Passw0rd!long' } })
  t.equal(down.statusCode, 503)
  t.same(down.json(), { success: false, message: 'Authentication service unavailable' })
  const logout = await server.inject({
    method: 'POST', url: '/auth/logout', headers: { authorization: `Bearer ${login.json().access_token}` }
  })
  t.equal(logout.statusCode, 200, 'logout revokes the token even when Cognito cannot be reached, and says what failed')
  t.same(logout.json(), {
    success: true,
    message: "Logged out: this access token is refused from now on; but Cognito did not sign out the user's other " +
      'sessions (Authentication service unavailable)'
  })
  const afterLogout = await server.inject({ url: '/auth/me', headers: { authorization: `Bearer ${login.json().access_token}` } })
  t.equal(afterLogout.statusCode, 401, 'and the token is refused from then on')
})
