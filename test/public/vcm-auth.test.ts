import t from 'tap'
// The browser client: plain JavaScript, served as it is (its types inferred).
import { VoiceAssistantAuth } from '../../public/vcm-auth.js'
import { build, capturingLogger, PASSWORD, testUsers } from '../helper.js'

/** The browser client against the real server, with a Map for localStorage. */
const { lines, logger } = capturingLogger()
const app = await build(t, { logger })
const base = await app.listen({ host: '127.0.0.1', port: 0 })

function storage () {
  const items = new Map<string, string>()
  return { getItem: (key: string) => items.get(key) ?? null, setItem: (key: string, value: string) => { items.set(key, value) }, removeItem: (key: string) => { items.delete(key) }, items }
}

t.test('sign up, confirm, log in, requests with the token, a refresh on 401 and one retry, log out', async (t) => {
  const store = storage()
  const auth = new VoiceAssistantAuth(base, store)
  t.equal(auth.signedIn, false)
  const email = testUsers(app, lines).newEmail()
  t.match(await auth.signup(email, PASSWORD, 'Ada', 'Lovelace'), { success: true, confirmation_required: true })
  t.match(await auth.confirmSignup(email, '000000'), { success: false })
  t.match(await auth.resendConfirmation(email), { success: true })
  t.match(await auth.confirmSignup(email, await testUsers(app, lines).codeFor(email, 1)), { success: true }, 'with the code sent again')
  t.match(await auth.login(email, 'wrong password 1'), { success: false, message: 'Invalid email or password' })
  t.equal(auth.signedIn, false)
  t.match(await auth.login(email, PASSWORD), { success: true })
  t.equal(auth.signedIn, true)
  t.equal(store.items.get('access_token'), auth.token)

  const me = await auth.makeAuthenticatedRequest('/auth/me')
  t.equal(((await me.json()) as { user: { email: string } }).user.email, email)
  const upload = new FormData()
  upload.append('file', new Blob(['customer_id,name,phone\nV1,Vee,9000000000\n']), 'c.csv')
  t.match(await (await auth.makeAuthenticatedRequest('/api/upload-customers', { method: 'POST', body: upload })).json(), { inserted: 1 })
  const json = await auth.makeAuthenticatedRequest('/api/trigger-bulk-calls', { method: 'POST', body: JSON.stringify({ customer_ids: ['NONE'] }) })
  t.equal(json.status, 400, 'a JSON body goes with its content type (the schema read it)')

  t.match(await auth.request('/api/customers'), { success: true, total: 1 }, 'request: the JSON answer')
  await t.rejects(auth.request('/api/customers/NOPE'), { message: 'Customer not found', status: 404 })
  await t.rejects(auth.request('/no-such-page'), { message: /not found/i, status: 404 }, 'the envelope of unknown routes too')

  const good = auth.token
  auth.token = 'expired.or.broken'
  const retried = await auth.makeAuthenticatedRequest('/api/customers')
  t.equal(retried.status, 200, 'refreshed, then retried')
  t.not(auth.token, 'expired.or.broken')
  t.not(auth.token, undefined)

  store.setItem('refresh_token', 'not a refresh token')
  auth.token = 'expired.or.broken'
  t.equal((await auth.makeAuthenticatedRequest('/api/customers')).status, 401, 'a refresh that fails leaves the 401')
  store.removeItem('refresh_token')
  t.equal((await auth.makeAuthenticatedRequest('/api/customers')).status, 401, 'no refresh token: the 401 as it is')
  await t.rejects(auth.request('/api/customers'), { message: 'Your session has ended: please log in again', status: 401 })
  await t.rejects(auth.refreshToken(), /No refresh token available/)

  auth.token = good
  await auth.logout()
  t.equal(auth.signedIn, false)
  t.equal(store.items.size, 0)
  await auth.logout() // signed out already: nothing to tell the server

  t.match(await auth.forgotPassword(email), { success: true })
  const reset = await testUsers(app, lines).codeFor(email, 2)
  t.match(await auth.confirmForgotPassword(email, '000000', `${PASSWORD}2`), { success: false })
  t.match(await auth.confirmForgotPassword(email, reset, `${PASSWORD}2`), { success: true })
  t.match(await auth.login(email, `${PASSWORD}2`), { success: true }, 'the new password works')
})

t.test('an invited person\'s first sign-in: told a new password is needed, then signed in with one', async (t) => {
  const auth = new VoiceAssistantAuth(base, storage())
  const email = testUsers(app, lines).newEmail()
  await app.cognitoUsers.invite(email, 'viewer')
  const temporary = JSON.parse(lines.find((line) => line.includes('temporary password') && line.includes(email))!).code
  t.match(await auth.login(email, temporary), { success: false, new_password_required: true })
  t.equal(auth.signedIn, false)
  t.match(await auth.login(email, temporary, `${PASSWORD}-own`), { success: true, user: { role: 'viewer' } })
  t.equal(auth.signedIn, true)
})
