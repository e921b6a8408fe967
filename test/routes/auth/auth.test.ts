import { createSign, generateKeyPairSync } from 'node:crypto'
import { CreateUserPoolClientCommand, InitiateAuthCommand } from '@aws-sdk/client-cognito-identity-provider'
import t from 'tap'
import { localCognitoClient } from '../../../lib/auth/cognito-local.js'
import { build, capturingLogger, PASSWORD, testUsers } from '../../helper.js'

// One app (and one emulator) for the file: each test signs up users of its own.
const { lines, logger } = capturingLogger()
// Limits high enough for a file that signs many users in from one address; rate-limit.test.ts checks them.
const app = await build(t, { logger, env: { AUTH_RATE_LIMIT_PER_IP: '1000', AUTH_RATE_LIMIT_PER_EMAIL: '1000' } })
const { newEmail, codeFor, signedIn } = testUsers(app, lines)

const post = (url: string, payload?: object, token?: string) => app.inject({
  method: 'POST', url, payload, headers: token ? { authorization: `Bearer ${token}` } : {}
})
const get = (url: string, token?: string) => app.inject({
  method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {}
})

t.test('the sign-in flow: signup, confirm, login, me, refresh, logout, and the old token refused', async (t) => {
  const email = newEmail()
  const signup = await post('/auth/signup', { email, password: PASSWORD, first_name: 'Asha', last_name: 'Rao' })
  t.equal(signup.statusCode, 201)
  t.match(signup.json(), {
    success: true, message: 'User registered successfully', user_sub: /^[0-9a-f-]{36}$/, confirmation_required: true
  })

  const confirm = await post('/auth/confirm-signup', { email, confirmation_code: await codeFor(email) })
  t.equal(confirm.statusCode, 200)
  t.same(confirm.json(), { success: true, message: 'User confirmed successfully' })

  const login = await post('/auth/login', { email, password: PASSWORD })
  t.equal(login.statusCode, 200)
  const tokens = login.json()
  t.match(tokens, {
    success: true,
    access_token: /^eyJ/,
    refresh_token: /./,
    id_token: /^eyJ/,
    token_type: 'Bearer',
    expires_in: 3600,
    user: { sub: signup.json().user_sub, username: email, email, email_verified: Boolean }
  })

  const me = await get('/auth/me', tokens.access_token)
  t.equal(me.statusCode, 200)
  t.match(me.json().user, {
    sub: signup.json().user_sub,
    username: email,
    email,
    given_name: 'Asha',
    family_name: 'Rao',
    token_use: 'access',
    groups: [],
    auth_time: Number,
    iat: Number,
    exp: Number
  })

  const customers = await get('/api/customers', tokens.access_token)
  t.equal(customers.statusCode, 200, 'the token opens the protected API')

  const refreshed = await post('/auth/refresh', { refresh_token: tokens.refresh_token, username: me.json().user.sub })
  t.equal(refreshed.statusCode, 200)
  t.match(refreshed.json(), { success: true, access_token: /^eyJ/, id_token: /^eyJ/, token_type: 'Bearer' })
  t.equal((await get('/auth/me', refreshed.json().access_token)).statusCode, 200, 'the refreshed token works')

  const logout = await post('/auth/logout', { refresh_token: tokens.refresh_token }, tokens.access_token)
  t.equal(logout.statusCode, 200)
  t.same(logout.json(), { success: true, message: 'Logged out successfully' })

  const after = await get('/api/customers', tokens.access_token)
  t.equal(after.statusCode, 401, 'a logged-out token is refused')
  t.same(after.json(), { success: false, message: 'Token has been revoked' })
  t.match(after.headers['www-authenticate'], /error="invalid_token"/)
  const refreshAfter = await post('/auth/refresh', { refresh_token: tokens.refresh_token })
  t.equal(refreshAfter.statusCode, 401, 'the revoked refresh token no longer refreshes')
  t.same(refreshAfter.json(), { success: false, message: 'Invalid or expired refresh token' })
})

t.test('a bare POST /auth/logout, as vcm-auth.js sends it, logs out', async (t) => {
  const { access_token: token } = await signedIn()
  const logout = await app.inject({ method: 'POST', url: '/auth/logout', headers: { authorization: `Bearer ${token}` } })
  t.equal(logout.statusCode, 200)
  t.equal((await get('/auth/me', token)).statusCode, 401)
})

t.test('sign-up and confirmation errors', async (t) => {
  const email = newEmail()
  await post('/auth/signup', { email, password: PASSWORD })
  const again = await post('/auth/signup', { email, password: PASSWORD })
  t.equal(again.statusCode, 400)
  t.same(again.json(), { success: false, message: 'An account with this email already exists' })

  const badEmail = await post('/auth/signup', { email: 'not-an-email', password: PASSWORD })
  t.equal(badEmail.statusCode, 400)
  t.same(badEmail.json(), { success: false, message: 'body.email must match format "email"' })

  const wrongCode = await post('/auth/confirm-signup', { email, confirmation_code: '000000' })
  t.equal(wrongCode.statusCode, 400)
  t.same(wrongCode.json(), { success: false, message: 'Invalid confirmation code' })

  const unconfirmed = await post('/auth/login', { email, password: PASSWORD })
  t.equal(unconfirmed.statusCode, 403)
  t.match(unconfirmed.json(), { success: false, message: /not confirmed/ })
})

t.test('login never tells whether an email is registered', async (t) => {
  const { email } = await signedIn()
  const wrongPassword = await post('/auth/login', { email, password: 'Wrong-password-1' })
  const unknownUser = await post('/auth/login', { email: newEmail(), password: 'Wrong-password-1' })
  for (const response of [wrongPassword, unknownUser]) {
    t.equal(response.statusCode, 401)
    t.same(response.json(), { success: false, message: 'Invalid email or password' })
  }
})

t.test('protected routes refuse missing, malformed, forged and foreign tokens', async (t) => {
  const session = await signedIn()

  const missing = await get('/api/customers')
  t.equal(missing.statusCode, 401)
  t.same(missing.json(), { success: false, message: 'Missing bearer token' })
  t.equal(missing.headers['www-authenticate'], 'Bearer realm="voice-call-manager"')

  const malformed = await app.inject({ method: 'GET', url: '/api/customers', headers: { authorization: 'Basic abc' } })
  t.equal(malformed.statusCode, 401)
  t.match(malformed.headers['www-authenticate'], /error="invalid_request"/)

  const [header, payload, signature] = session.access_token.split('.')
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString())
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const signWithOurKey = (body: string) =>
    createSign('RSA-SHA256').update(body).sign(privateKey).toString('base64url')
  const forged = {
    'an id token': session.id_token,
    'a tampered payload': `${header}.${encode({ ...claims, sub: 'someone-else' })}.${signature}`,
    'alg none': `${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims)}.`,
    'a token signed by another key': `${header}.${payload}.${signWithOurKey(`${header}.${payload}`)}`,
    'an expired token': (() => {
      const body = `${header}.${encode({ ...claims, exp: Math.floor(Date.now() / 1000) - 60 })}`
      return `${body}.${signWithOurKey(body)}`
    })(),
    'a refresh token': session.refresh_token
  }
  for (const [kind, token] of Object.entries(forged)) {
    const response = await get('/api/customers', token)
    t.equal(response.statusCode, 401, kind)
    t.equal(response.json().success, false, kind)
  }

  // A real token of the same pool, issued to another app client.
  const started = JSON.parse(lines.find((line) => line.includes('local Cognito emulator started'))!)
  const cognito = localCognitoClient(started.endpoint)
  t.teardown(() => cognito.destroy())
  const other = await cognito.send(new CreateUserPoolClientCommand({
    UserPoolId: started.userPoolId, ClientName: 'other', ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH']
  }))
  const foreign = await cognito.send(new InitiateAuthCommand({
    ClientId: other.UserPoolClient!.ClientId!,
    AuthFlow: 'USER_PASSWORD_AUTH',
    AuthParameters: { USERNAME: session.email, PASSWORD }
  }))
  const response = await get('/api/customers', foreign.AuthenticationResult!.AccessToken!)
  t.equal(response.statusCode, 401, 'a token issued to another client')
})

t.test('a new confirmation code can be requested, and only the newest confirms', async (t) => {
  const email = newEmail()
  await post('/auth/signup', { email, password: PASSWORD })
  const first = await codeFor(email)
  const resend = await post('/auth/resend-confirmation', { email })
  t.equal(resend.statusCode, 200)
  t.same(resend.json(), { success: true, message: 'If the account awaits confirmation, a new code has been sent' })
  const second = await codeFor(email, 1)
  t.not(second, first)
  t.equal((await post('/auth/confirm-signup', { email, confirmation_code: second })).statusCode, 200)
  t.equal((await post('/auth/login', { email, password: PASSWORD })).statusCode, 200)

  const unknown = await post('/auth/resend-confirmation', { email: newEmail() })
  t.same(unknown.json(), resend.json(), 'an unknown email gets the same answer')
})

t.test('forgot password: a reset code sets a new password', async (t) => {
  const { email } = await signedIn()
  const forgot = await post('/auth/forgot-password', { email })
  t.equal(forgot.statusCode, 200)
  t.same(forgot.json(), { success: true, message: 'If the account exists, a reset code has been sent' })
  const code = await codeFor(email, 1)

  const wrong = await post('/auth/confirm-forgot-password', { email, confirmation_code: '000000', new_password: 'N3w-passw0rd' })
  t.equal(wrong.statusCode, 400)
  t.same(wrong.json(), { success: false, message: 'Invalid confirmation code' })

  const reset = await post('/auth/confirm-forgot-password', { email, confirmation_code: code, new_password: 'N3w-passw0rd' })
  t.equal(reset.statusCode, 200)
  t.same(reset.json(), { success: true, message: 'Password reset successfully' })
  t.equal((await post('/auth/login', { email, password: 'N3w-passw0rd' })).statusCode, 200)
  t.equal((await post('/auth/login', { email, password: PASSWORD })).statusCode, 401, 'the old password is gone')

  const unknown = await post('/auth/forgot-password', { email: newEmail() })
  t.same(unknown.json(), forgot.json(), 'an unknown email gets the same answer')
})

t.test('change password needs the token and the current password', async (t) => {
  const { email, access_token: token } = await signedIn()
  const noToken = await post('/auth/change-password', { previous_password: PASSWORD, proposed_password: 'An0ther-pass' })
  t.equal(noToken.statusCode, 401)

  const wrong = await post('/auth/change-password', { previous_password: 'Not-it-123', proposed_password: 'An0ther-pass' }, token)
  t.equal(wrong.statusCode, 400)
  t.same(wrong.json(), { success: false, message: 'Current password is incorrect' })

  const changed = await post('/auth/change-password', { previous_password: PASSWORD, proposed_password: 'An0ther-pass' }, token)
  t.equal(changed.statusCode, 200)
  t.same(changed.json(), { success: true, message: 'Password changed successfully' })
  t.equal((await post('/auth/login', { email, password: 'An0ther-pass' })).statusCode, 200)
})

t.test('logout with a wrong refresh token still logs out, and says what failed', async (t) => {
  const { access_token: token } = await signedIn()
  const logout = await post('/auth/logout', { refresh_token: 'not-a-refresh-token' }, token)
  t.equal(logout.statusCode, 200)
  t.match(logout.json(), {
    success: true,
    message: /^Logged out: this access token is refused from now on; but the refresh token given was not revoked: /
  })
  t.equal((await get('/auth/me', token)).statusCode, 401, 'the access token no longer works')
  const again = await post('/auth/logout', {}, token)
  t.equal(again.statusCode, 401, 'and cannot log out twice')
})
