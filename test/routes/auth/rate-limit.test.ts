import t from 'tap'
import { clientAddress } from '../../../lib/server/client-address.js'
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

t.test('behind a proxy (TRUST_PROXY): users are told apart by X-Forwarded-For, and guesses at an email lock out the guesser', async (t) => {
  const app = await build(t, {
    env: { TRUST_PROXY: '1', AUTH_RATE_LIMIT_PER_IP: '4', AUTH_RATE_LIMIT_PER_EMAIL: '2', AUTH_RATE_LIMIT_PER_EMAIL_ALL_ADDRESSES: '5' }
  })
  // The load balancer appends the address it saw; what the client put before it is its own word.
  const attempt = (email: string, client: string, claimed = '1.1.1.1') => app.inject({
    method: 'POST', url: '/auth/login', payload: { email, password: 'Wrong-passw0rd' }, headers: { 'x-forwarded-for': `${claimed}, ${client}` }
  })
  for (let i = 0; i < 2; i++) t.equal((await attempt('owner@example.com', '203.0.113.9', `10.0.0.${i}`)).statusCode, 401)
  t.equal((await attempt('owner@example.com', '203.0.113.9', '10.0.0.9')).statusCode, 429,
    'the guesser is stopped after two tries, whatever it claims to be')
  t.equal((await attempt('owner@example.com', '198.51.100.7')).statusCode, 401, 'the owner, at another address, may still sign in')
  t.equal((await attempt('someone@example.com', '198.51.100.8')).statusCode, 401)
  t.equal((await attempt('someone@example.com', '198.51.100.8')).statusCode, 401)
  t.equal((await attempt('else@example.com', '198.51.100.8')).statusCode, 401)
  t.equal((await attempt('more@example.com', '198.51.100.8')).statusCode, 401)
  t.equal((await attempt('fifth@example.com', '198.51.100.8')).statusCode, 429, 'each address has its own bucket of four')
  t.equal((await attempt('fifth@example.com', '198.51.100.9')).statusCode, 401, 'and another address its own')

  for (let i = 0; i < 2; i++) t.equal((await attempt('popular@example.com', `192.0.2.${i}`)).statusCode, 401)
  for (let i = 2; i < 5; i++) t.equal((await attempt('popular@example.com', `192.0.2.${i}`)).statusCode, 401)
  t.equal((await attempt('popular@example.com', '192.0.2.99')).statusCode, 429, 'past five a minute from all addresses, the email is limited')
})

t.test('without TRUST_PROXY, X-Forwarded-For is ignored: a client cannot choose its bucket', async (t) => {
  const app = await build(t, { env: { AUTH_RATE_LIMIT_PER_IP: '2' } })
  const attempt = (n: number) => app.inject({
    method: 'POST', url: '/auth/login', payload: { email: `u${n}@example.com`, password: 'Wrong-passw0rd' }, headers: { 'x-forwarded-for': `10.9.9.${n}` }
  })
  t.equal((await attempt(1)).statusCode, 401)
  t.equal((await attempt(2)).statusCode, 401)
  t.equal((await attempt(3)).statusCode, 429)
  t.equal(clientAddress('10.0.0.1', ['a, b', 'c'], 5), 'a', 'fewer entries than hops: the first')
  t.equal(clientAddress('10.0.0.1', ' , ', 1), '10.0.0.1', 'an empty header: the socket\'s peer')
})
