import t from 'tap'
import { build } from '../helper.js'

t.test('pages and answers carry the security headers; the policy allows no inline code and no framing', async (t) => {
  const app = await build(t)
  for (const url of ['/', '/original', '/app.js', '/health']) {
    const { headers } = await app.inject({ url })
    const policy = String(headers['content-security-policy'])
    t.match(policy, /default-src 'self'/, `${url}: a policy`)
    t.match(policy, /script-src 'self';/)
    t.match(policy, /style-src 'self';/)
    t.match(policy, /frame-ancestors 'none'/)
    t.notMatch(policy, /unsafe-inline|unsafe-eval|upgrade-insecure-requests/)
    t.equal(headers['x-content-type-options'], 'nosniff')
    t.equal(headers['referrer-policy'], 'no-referrer')
    t.equal(headers['x-frame-options'], 'DENY')
    t.equal(headers['strict-transport-security'], undefined, 'no HSTS outside production')
  }
  const docs = await app.inject({ url: '/docs' })
  t.equal(docs.statusCode, 200)
  t.match(String(docs.headers['content-security-policy']), /^default-src 'self'; base-uri 'self'; .*script-src 'self' /,
    "the API docs send swagger-ui's own policy")
})

t.test('in production: HSTS, and plain-HTTP requests upgraded', async (t) => {
  const app = await build(t, { env: { NODE_ENV: 'production' } })
  const { headers } = await app.inject({ url: '/' })
  t.equal(headers['strict-transport-security'], 'max-age=31536000; includeSubDomains')
  t.match(String(headers['content-security-policy']), /upgrade-insecure-requests/)
})
