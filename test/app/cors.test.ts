import t from 'tap'
import { build } from '../helper.js'

const preflight = (origin: string) => ({
  method: 'OPTIONS' as const,
  url: '/health',
  headers: { origin, 'access-control-request-method': 'GET' }
})

t.test('by default no other site may call the API; CORS_ORIGINS=* lets every one', async (t) => {
  const app = await build(t)
  const response = await app.inject(preflight('https://ops.example.com'))
  t.equal(response.headers['access-control-allow-origin'], undefined, 'only pages of this server')
  const open = await build(t, { env: { CORS_ORIGINS: '*' } })
  const anyone = await open.inject(preflight('https://ops.example.com'))
  t.equal(anyone.statusCode, 204)
  t.equal(anyone.headers['access-control-allow-origin'], '*')
})

t.test('CORS_ORIGINS restricts the allowed origins', async (t) => {
  const app = await build(t, { env: { CORS_ORIGINS: 'https://ops.example.com, https://admin.example.com' } })
  const allowed = await app.inject(preflight('https://admin.example.com'))
  t.equal(allowed.headers['access-control-allow-origin'], 'https://admin.example.com')
  const refused = await app.inject(preflight('https://evil.example.net'))
  t.equal(refused.headers['access-control-allow-origin'], undefined)
})
