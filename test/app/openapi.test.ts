import t from 'tap'
import { build } from '../helper.js'

t.test('the OpenAPI document describes the routes from their schemas', async (t) => {
  const app = await build(t)
  const response = await app.inject({ method: 'GET', url: '/docs/json' })
  t.equal(response.statusCode, 200)
  const doc = response.json()
  t.match(doc.openapi, /^3\./)
  t.equal(doc.info.title, 'voice-call-manager')
  t.same(doc.components.securitySchemes.bearerAuth, {
    type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The access_token answered by POST /auth/login'
  })
  t.match(doc.components.schemas.ErrorResponse, {
    type: 'object', required: ['success', 'message'], properties: { success: { enum: [false] } }
  }, 'the shared error envelope is one named component')
  t.same(
    doc.paths['/ready'].get.responses['503'].content['application/json'].schema,
    { $ref: '#/components/schemas/ErrorResponse' },
    'routes reference it by $id rather than copying it'
  )
  t.match(doc.paths['/health'].get, { tags: ['operations'], responses: { 200: {} } })
})

t.test('Swagger UI is served at /docs from local files', async (t) => {
  const app = await build(t)
  const page = await app.inject({ method: 'GET', url: '/docs/' })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /text\/html/)
  t.notMatch(page.body, /https?:\/\/(?!localhost)[^"']*\.(js|css)/, 'no script or style from the internet')
  const bundle = await app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js' })
  t.equal(bundle.statusCode, 200)
})
