import t from 'tap'
import { build } from '../helper.js'

const preflight = (origin: string) => ({
  method: 'OPTIONS' as const,
  url: '/health',
  headers: { origin, 'access-control-request-method': 'GET' }
})

t.test('every origin is allowed by default', async (t) => {
  const app = await build(t)
  const response = await app.inject(preflight('https://ops.example.com'))
  t.equal(response.statusCode, 204)
  t.equal(response.headers['access-control-allow-origin'], '*')
})

t.test('CORS_ORIGINS restricts the allowed origins', async (t) => {
  const app = await build(t, { env: { CORS_ORIGINS: 'https://ops.example.com, https://admin.example.com' } })
  const allowed = await app.inject(preflight('https://admin.example.com'))
  t.equal(allowed.headers['access-control-allow-origin'], 'https://admin.example.com')
  const refused = await app.inject(preflight('https://evil.example.net'))
  t.equal(refused.headers['access-control-allow-origin'], undefined)
})
