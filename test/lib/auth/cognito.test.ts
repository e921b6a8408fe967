import { createHmac } from 'node:crypto'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer as createHttpServer } from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { type AccessClaims, AuthError, CognitoAuth, decodeJwtPayload, toAuthError } from '../../../lib/auth/cognito.js'
import { localCognitoClient, parseEmulatorLine, startLocalCognito } from '../../../lib/auth/cognito-local.js'
import { CognitoUsers } from '../../../lib/auth/cognito-users.js'
import { cachedVerifier, cognitoAccessVerifier } from '../../../lib/auth/cognito-verifier.js'

t.test('Cognito failures map to the API contract statuses and plain messages', async (t) => {
  t.match(toAuthError({ name: 'UsernameExistsException' }), { statusCode: 400, message: /already exists/ })
  t.match(toAuthError({ name: 'TooManyRequestsException' }), { statusCode: 429 })
  t.match(toAuthError({ name: 'NotAuthorizedException' }, { NotAuthorizedException: [401, 'X'] }), { message: 'X' })
  const unreachable = toAuthError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))
  t.match(unreachable, { statusCode: 503, message: 'Authentication service unavailable', expose: true })
  t.type(unreachable, AuthError)
  t.match(toAuthError({ name: 'TimeoutError' }), { statusCode: 503 })
  t.match(toAuthError({ code: 'ENOTFOUND' }), { statusCode: 503 }, 'an error with no name')
  const unknown = new Error('something new')
  t.throws(() => toAuthError(unknown), unknown, 'anything else stays an internal error (500)')
})

t.test('SECRET_HASH is computed for confidential clients only', async (t) => {
  const options = {
    client: localCognitoClient('http://127.0.0.1:1'),
    clientId: 'client',
    verifyAccessToken: async () => { throw new Error('unused') }
  }
  t.equal(new CognitoAuth(options).secretHash('a@b.co'), undefined)
  const expected = createHmac('sha256', 's3cret').update('a@b.coclient').digest('base64')
  t.equal(new CognitoAuth({ ...options, clientSecret: 's3cret' }).secretHash('a@b.co'), expected)
})

t.test('a failed GlobalSignOut is reported, not swallowed', async (t) => {
  const client = localCognitoClient('http://127.0.0.1:1')
  t.teardown(() => client.destroy())
  const auth = new CognitoAuth({
    client,
    clientId: 'client',
    verifyAccessToken: async () => { throw new Error('unused') }
  })
  t.same(await auth.logout('token', 'refresh'), [
    "Cognito did not sign out the user's other sessions (Authentication service unavailable)",
    'the refresh token given was not revoked: Authentication service unavailable'
  ], 'each step tried, each failure told')
  // Only unknown-user answers are kept quiet.
  await t.rejects(auth.forgotPassword('a@b.co'), { statusCode: 503, message: 'Authentication service unavailable' })
})

t.test('decodeJwtPayload reads a payload and survives garbage', async (t) => {
  t.same(decodeJwtPayload(`x.${Buffer.from('{"sub":"1"}').toString('base64url')}.y`), { sub: '1' })
  t.same(decodeJwtPayload('not a token'), {})
})

t.test('the real Cognito verifier refuses a malformed token without any network', async (t) => {
  const verify = cognitoAccessVerifier('ap-south-1_abcdef123', 'client')
  await t.rejects(verify('not.a.token'))
})

t.test('emulator output lines', async (t) => {
  t.same(parseEmulatorLine('{"destination":"a@b.co","code":"123"}'), { destination: 'a@b.co', code: '123' })
  t.same(parseEmulatorLine('NOTE: The AWS SDK for JavaScript (v2) has reached end-of-support.'), {})
})

t.test('the emulator keeps its pool across restarts, and makes a new one when it is gone', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'vcm-cognito-test-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const onCode = () => {}
  const first = await startLocalCognito({ dir, onCode })
  await first.stop()
  const second = await startLocalCognito({ dir, onCode })
  t.equal(second.userPoolId, first.userPoolId, 'same pool after a restart')
  t.equal(second.clientId, first.clientId)
  t.equal(second.issuer, first.issuer, 'same port, so tokens issued before the restart still verify')
  await second.stop()
  await second.stop()

  const taken = createServer().listen(Number(new URL(first.endpoint).port), '127.0.0.1')
  await once(taken, 'listening')
  const elsewhere = await startLocalCognito({ dir, onCode })
  taken.close()
  t.not(elsewhere.endpoint, first.endpoint, 'another port when the old one is taken')
  t.equal(elsewhere.userPoolId, first.userPoolId)
  await elsewhere.stop()

  await rm(path.join(dir, '.cognito'), { recursive: true })
  const third = await startLocalCognito({ dir, onCode })
  t.not(third.userPoolId, first.userPoolId, 'a new pool when the emulator lost the old one')
  await third.stop()
})

t.test('an emulator that does not start in time is stopped and reported', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'vcm-cognito-test-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await t.rejects(startLocalCognito({ dir, onCode: () => {}, startTimeoutMs: 1 }), /cognito-local did not start/)
})

t.test('a verified token is remembered until it expires, and only that exact token', async (t) => {
  const verified: string[] = []
  const now = Math.floor(Date.now() / 1000)
  const verify = cachedVerifier(async (token) => {
    verified.push(token)
    if (token === 'bad') throw new Error('invalid signature')
    return { sub: token, exp: token.startsWith('short') ? now : now + 3600 } as AccessClaims
  }, 2)

  t.equal((await verify('one')).sub, 'one')
  t.equal((await verify('one')).sub, 'one')
  t.same(verified, ['one'], 'the second use costs no verification')
  t.ok(Object.isFrozen(await verify('one')), 'callers cannot change the remembered claims')

  await t.rejects(verify('bad'), /invalid signature/)
  await t.rejects(verify('bad'), /invalid signature/)
  t.same(verified, ['one', 'bad', 'bad'], 'a refused token is checked every time')

  await verify('short')
  await verify('short')
  t.same(verified.slice(3), ['short', 'short'], 'an expired token is verified again (and refused by the verifier)')

  await verify('two')
  await verify('one')
  t.same(verified.slice(5), ['two', 'one'], 'past the limit the oldest is forgotten')
})

t.test('an upstream that answers an HTML page (a proxy, the emulator given a huge token) is a 502, not a 500', async (t) => {
  const html = createHttpServer((_request, response) => {
    response.writeHead(413, { 'content-type': 'text/html' }).end('<html><body>Payload Too Large</body></html>')
  })
  await new Promise<void>((resolve) => html.listen(0, '127.0.0.1', resolve))
  t.teardown(() => html.close())
  const client = localCognitoClient(`http://127.0.0.1:${(html.address() as { port: number }).port}`)
  t.teardown(() => client.destroy())
  const auth = new CognitoAuth({ client, clientId: 'client', verifyAccessToken: async () => { throw new Error('unused') } })
  await t.rejects(auth.refresh('token'), { statusCode: 502, message: 'The authentication service gave an answer that could not be read' })
  t.throws(() => toAuthError(new SyntaxError('ours')), SyntaxError, 'a SyntaxError of our own stays ours (500)')
})

t.test('an unreachable pool: the people\'s operations answer 503, and try again next time', async (t) => {
  const client = localCognitoClient('http://127.0.0.1:1')
  t.teardown(() => client.destroy())
  const people = new CognitoUsers(client, 'local_nowhere')
  await t.rejects(people.list(), { statusCode: 503, message: 'Authentication service unavailable' })
  await t.rejects(people.hasAdmin(), { statusCode: 503, message: 'Authentication service unavailable' }, 'the groups are looked for again, not taken as made')
})

t.test('a sign-in Cognito answers with a challenge this API does not handle (MFA) is refused, saying so', async (t) => {
  const server = createHttpServer((request, response) => {
    request.resume()
    response.setHeader('content-type', 'application/x-amz-json-1.1')
    response.end(JSON.stringify({ ChallengeName: 'SMS_MFA', Session: 'session', ChallengeParameters: {} }))
  }).listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  const client = localCognitoClient(`http://127.0.0.1:${(server.address() as { port: number }).port}`)
  t.teardown(() => client.destroy())
  const auth = new CognitoAuth({ client, clientId: 'client', verifyAccessToken: async () => { throw new Error('unused') } })
  await t.rejects(auth.login('a@b.co', 'password'), { statusCode: 401, message: /a step this API does not support/ })
})
