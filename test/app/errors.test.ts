import { Type } from '@sinclair/typebox'
import Fastify from 'fastify'
import fp from 'fastify-plugin'
import t from 'tap'
import app from '../../app.js'
import { pgliteTemplate } from '../databases.js'
import { capturingLogger } from '../helper.js'

// The app with a few routes that fail in the ways real routes will, to check the envelope of each failure.
async function buildWithFailingRoutes (t: { teardown (fn: () => unknown): void }) {
  const { lines, logger } = capturingLogger()
  const server = Fastify({ logger, bodyLimit: 1024, pluginTimeout: 0 })
  server.register(fp(app), { env: { DATA_DIR: 'memory://' }, startFrom: await pgliteTemplate() })
  server.register(async (routes) => {
    routes.post('/echo', {
      schema: {
        body: Type.Object({ email: Type.String({ format: 'email' }), count: Type.Integer({ minimum: 1 }) })
      }
    }, async (request) => request.body)
    routes.get('/boom', async () => {
      throw new Error('connection to 10.0.0.5 refused at db.ts:42')
    })
    routes.get('/teapot', async () => {
      throw Object.assign(new Error('Cognito is unreachable'), { statusCode: 503, expose: true })
    })
  })
  t.teardown(() => server.close())
  await server.ready()
  return { server, lines }
}

t.test('every failure answers in the error envelope with the right status', async (t) => {
  const { server, lines } = await buildWithFailingRoutes(t)

  const notFound = await server.inject({ method: 'GET', url: '/no/such/route?token=abc' })
  t.equal(notFound.statusCode, 404)
  t.same(notFound.json(), { success: false, message: 'Route GET /no/such/route not found' })

  const invalid = await server.inject({ method: 'POST', url: '/echo', payload: { email: 'nope', count: 1 } })
  t.equal(invalid.statusCode, 400)
  t.same(invalid.json(), { success: false, message: 'body.email must match format "email"' })

  const missing = await server.inject({ method: 'POST', url: '/echo', payload: { email: 'a@b.co' } })
  t.equal(missing.statusCode, 400)
  t.same(missing.json(), { success: false, message: "body must have required property 'count'" })

  const malformed = await server.inject({
    method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '{"email":'
  })
  t.equal(malformed.statusCode, 400)
  t.equal(malformed.json().success, false)
  t.match(malformed.json().message, /JSON/)

  const unsupported = await server.inject({
    method: 'POST', url: '/echo', headers: { 'content-type': 'application/xml' }, payload: '<a/>'
  })
  t.equal(unsupported.statusCode, 415)
  t.equal(unsupported.json().success, false)

  const tooLarge = await server.inject({
    method: 'POST', url: '/echo', payload: { email: 'a@b.co', count: 1, pad: 'x'.repeat(2000) }
  })
  t.equal(tooLarge.statusCode, 413)
  t.equal(tooLarge.json().success, false)

  const crash = await server.inject({ method: 'GET', url: '/boom' })
  t.equal(crash.statusCode, 500)
  t.same(crash.json(), { success: false, message: 'Internal Server Error' }, 'no internals in the answer')
  t.ok(lines.some((line) => line.includes('10.0.0.5') && line.includes('"level":50')), 'the cause is in the log')

  const exposed = await server.inject({ method: 'GET', url: '/teapot' })
  t.equal(exposed.statusCode, 503)
  t.same(exposed.json(), { success: false, message: 'Cognito is unreachable' }, 'a deliberate 5xx message shows')
})
