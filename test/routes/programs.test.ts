import { createPrivateKey, createSign, randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import t from 'tap'
import { sharedEmulator } from '../cognito.js'
import { build } from '../helper.js'

const PROGRAM = 'crm-program-client'

/**
 * An access token as Cognito's client-credentials grant makes one (no user, no groups, scopes), signed with the local
 * emulator's key: the emulator has no token endpoint of its own.
 */
async function programToken (claims: Record<string, unknown>) {
  const main = createRequire(import.meta.url).resolve('cognito-local')
  const { pem } = JSON.parse(await readFile(path.join(path.dirname(main), 'keys/cognitoLocal.private.json'), 'utf8'))
  const { issuer } = await sharedEmulator()
  const now = Math.floor(Date.now() / 1000)
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const body = `${part({ alg: 'RS256', kid: 'CognitoLocal', typ: 'JWT' })}.${part({
    sub: PROGRAM,
client_id: PROGRAM,
token_use: 'access',
iss: issuer,
iat: now,
auth_time: now,
exp: now + 3600,
    jti: randomUUID(),
version: 2,
...claims
  })}`
  const signature = createSign('RSA-SHA256').update(body).sign(createPrivateKey(pem)).toString('base64url')
  return `Bearer ${body}.${signature}`
}

t.test('a program signs in with its own credentials: its scopes grant what roles do', async (t) => {
  const app = await build(t, { env: { COGNITO_PROGRAM_CLIENT_IDS: `other-client, ${PROGRAM}`, COGNITO_RESOURCE_SERVER: 'vcm' } })
  const as = async (scope: string, extra: Record<string, unknown> = {}) => {
    const authorization = await programToken({ scope, ...extra })
    return {
      get: (url: string) => app.inject({ url, headers: { authorization } }),
      post: (url: string, payload: object) => app.inject({ method: 'POST', url, payload, headers: { authorization } })
    }
  }
  const writer = await as('vcm/read vcm/write')
  const added = await writer.post('/api/suppressions', { phones: ['9000000105'] })
  t.equal(added.statusCode, 201, 'write: an operator\'s permissions')
  const { rows } = await app.db.query<{ created_by: string }>('SELECT created_by FROM suppression')
  t.same(rows, [{ created_by: PROGRAM }], 'the program\'s client id is recorded as who did it')
  t.equal((await writer.get('/api/users')).statusCode, 403, 'but not an administrator\'s')

  const reader = await as('vcm/read')
  t.same((await reader.get('/api/suppressions')).json().suppressions.map((s: { phone: string }) => s.phone), ['••••0105'],
    'read: a viewer\'s, phone numbers masked')
  const refused = await reader.post('/api/suppressions', { phones: ['9000000205'] })
  t.same(refused.json(), { success: false, message: 'This needs the operator role; you are a viewer' })

  t.equal((await (await as('vcm/admin')).get('/api/users')).statusCode, 200, 'admin: everything')
  const unscoped = await (await as('other-server/admin')).get('/api/customers')
  t.same({ status: unscoped.statusCode, body: unscoped.json() }, {
    status: 403, body: { success: false, message: 'This needs the viewer role; the program\'s token has no scope of vcm (read, write or admin)' }
  }, 'a scope of another resource server grants nothing')

  const unscopedToken = await (await as('vcm/read', { scope: undefined })).get('/api/customers')
  t.equal(unscopedToken.statusCode, 403, 'a token with no scope at all grants nothing')
  const stranger = await (await as('vcm/admin', { client_id: 'unknown-client', sub: 'unknown-client' })).get('/api/customers')
  t.equal(stranger.statusCode, 401, 'a client not named in COGNITO_PROGRAM_CLIENT_IDS is refused')
  const forged = await (await as('vcm/admin', { iss: 'http://127.0.0.1:1/local_other' })).get('/api/customers')
  t.equal(forged.statusCode, 401, 'a token of another issuer is refused')
})
