import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { build, capturingLogger, freshPostgresDatabase, seededDataDir, testUsers } from '../../helper.js'

async function tempDir (t: { teardown (fn: () => unknown): void }) {
  const dir = await mkdtemp(path.join(tmpdir(), 'vcm-revocation-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

t.test('pglite: a logged-out token stays refused after a restart', async (t) => {
  const DATA_DIR = await seededDataDir(t)
  const { lines, logger } = capturingLogger()
  const first = await build(t, { logger, env: { DATA_DIR } })
  const { access_token: token } = await testUsers(first, lines).signedIn()
  t.equal((await first.inject({ url: '/api/customers', headers: bearer(token) })).statusCode, 200)
  t.equal((await first.inject({ method: 'POST', url: '/auth/logout', headers: bearer(token) })).statusCode, 200)
  await first.close()

  const restarted = await build(t, { env: { DATA_DIR } })
  const after = await restarted.inject({ url: '/api/customers', headers: bearer(token) })
  t.equal(after.statusCode, 401)
  t.same(after.json(), { success: false, message: 'Token has been revoked' })
})

t.test('postgres: a token logged out on one instance is refused by the next request to another', {
  skip: process.env.TEST_DATABASE_URL ? false : 'no PostgreSQL server (TEST_DATABASE_URL)'
}, async (t) => {
  const DATABASE_URL = await freshPostgresDatabase(t)
  const DATA_DIR = await tempDir(t)
  const { lines, logger } = capturingLogger()
  const one = await build(t, { logger, env: { DATABASE_URL, DATA_DIR } })
  // The second instance shares the first one's database and Cognito pool, as instances behind a load balancer do.
  const { endpoint, userPoolId } = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'local Cognito emulator started')
  const { clientId } = JSON.parse(await readFile(path.join(DATA_DIR, 'cognito', 'pool.json'), 'utf8'))
  const two = await build(t, {
    env: {
      DATABASE_URL,
      DATA_DIR: await tempDir(t),
      COGNITO_USER_POOL_ID: userPoolId,
      COGNITO_ENDPOINT: endpoint,
      COGNITO_CLIENT_ID: clientId
    }
  })

  const { access_token: token } = await testUsers(one, lines).signedIn()
  t.equal((await two.inject({ url: '/api/customers', headers: bearer(token) })).statusCode, 200,
    'the other instance accepts the token (and remembers that it verified)')
  t.equal((await one.inject({ method: 'POST', url: '/auth/logout', headers: bearer(token) })).statusCode, 200)
  const after = await two.inject({ url: '/api/customers', headers: bearer(token) })
  t.equal(after.statusCode, 401)
  t.same(after.json(), { success: false, message: 'Token has been revoked' })
})
