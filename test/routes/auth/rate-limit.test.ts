import t from 'tap'
import { build, freshPostgresDatabase } from '../../helper.js'

t.test('sign-in attempts are limited per email and per address, with 429 and Retry-After', async (t) => {
  const app = await build(t, { env: { AUTH_RATE_LIMIT_PER_EMAIL: '3', AUTH_RATE_LIMIT_PER_IP: '5' } })
  const attempt = (email: string) => app.inject({
    method: 'POST', url: '/auth/login', payload: { email, password: 'Wrong-passw0rd' }
  })

  for (let i = 0; i < 3; i++) t.equal((await attempt('Target@example.com')).statusCode, 401, `attempt ${i + 1}`)
  const limited = await attempt('target@EXAMPLE.com')
  t.equal(limited.statusCode, 429, 'the fourth try at one email, whatever its case, is refused')
  t.match(limited.json(), { success: false, message: /^Too many attempts; try again in \d+ seconds?$/ })
  t.match(limited.headers['retry-after'], /^\d+$/)

  t.equal((await attempt('other@example.com')).statusCode, 401, 'another email may still try')
  const byAddress = await attempt('third@example.com')
  t.equal(byAddress.statusCode, 429, 'until the address has made its five requests a minute')

  const health = await app.inject({ method: 'GET', url: '/health' })
  t.equal(health.statusCode, 200, 'other routes are not limited')
})

t.test('the limits hold across instances: two servers on one PostgreSQL count together', { skip: !process.env.TEST_DATABASE_URL && 'no TEST_DATABASE_URL' }, async (t) => {
  const url = await freshPostgresDatabase(t)
  const env = { DATABASE_URL: url, AUTH_RATE_LIMIT_PER_EMAIL: '3', AUTH_RATE_LIMIT_PER_IP: '100' }
  const [one, two] = [await build(t, { env }), await build(t, { env })]
  const attempt = (app: typeof one) => app.inject({
    method: 'POST', url: '/auth/login', payload: { email: 'shared@example.com', password: 'Wrong-passw0rd' }
  })
  t.equal((await attempt(one)).statusCode, 401)
  t.equal((await attempt(two)).statusCode, 401)
  t.equal((await attempt(one)).statusCode, 401)
  t.equal((await attempt(two)).statusCode, 429, 'the fourth attempt, on the other server, is refused')
})
