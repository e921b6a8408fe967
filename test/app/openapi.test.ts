import { spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import openapiTS, { astToString } from 'openapi-typescript'
import t from 'tap'
import ts from 'typescript'
import { projectRoot } from '../../lib/server/project-root.js'
import { build, capturingLogger, testUsers } from '../helper.js'

type Operation = {
  operationId?: string
  security?: Array<Record<string, string[]>>
  parameters?: Array<{ name: string, in: string, required?: boolean }>
  responses: Record<string, unknown>
}

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
  t.match(doc.components.securitySchemes.exotelToken, { type: 'apiKey', in: 'query', name: 'token' })
  t.match(doc.components.schemas.ErrorResponse, {
    type: 'object', required: ['success', 'message'], properties: { success: { enum: [false] } }
  }, 'the shared error envelope is one named component')
  t.same(
    doc.paths['/ready'].get.responses['503'].content['application/json'].schema,
    { $ref: '#/components/schemas/ErrorResponse' },
    'routes reference it by $id rather than copying it'
  )
  t.match(doc.paths['/health'].get, { tags: ['operations'], responses: { 200: {} } })

  const operations = Object.entries(doc.paths as Record<string, Record<string, Operation>>)
    .flatMap(([url, methods]) => Object.entries(methods).map(([method, operation]) => ({ name: `${method.toUpperCase()} ${url}`, url, operation })))
  const ids = operations.map(({ operation }) => operation.operationId)
  t.equal(new Set(ids).size, operations.length, 'every operation has its own operationId')
  for (const { name, url, operation } of operations) {
    t.match(operation.operationId, /^[a-z]+[A-Za-z]*$/, `${name}: a camelCase operationId`)
    const schemes = (operation.security ?? []).flatMap((requirement) => Object.keys(requirement))
    const expected = url.startsWith('/api/') || ['/auth/logout', '/auth/change-password', '/auth/me'].includes(url)
      ? ['bearerAuth']
      : ['/exotel-webhook', '/passthru-handler', '/ws-url', '/handoff-agent'].includes(url) ? ['exotelToken'] : url === '/metrics' ? ['metricsToken'] : []
    t.same(schemes, expected, `${name}: security ${expected.join() || 'none (public)'}`)
    t.ok(Object.keys(operation.responses).some((status) => /^4/.test(status)) || ['/health', '/ready'].includes(url), `${name}: its 4xx answers`)
    t.ok(operation.responses['500'], `${name}: its 5xx answer`)
    t.notOk(operation.parameters?.some((parameter) => parameter.name === 'token'), `${name}: the token is the security scheme's, not a parameter`)
  }
  const listCustomers = doc.paths['/api/customers'].get as Operation
  t.same(listCustomers.parameters!.filter((parameter) => parameter.required).map((parameter) => parameter.name), [],
    'parameters with defaults (limit, offset) are optional, as on the wire')
  t.match(doc.paths['/api/events'].get.responses['200'].content['text/event-stream'].schema, { anyOf: [{}, {}, {}] },
    'the event stream, with each event type')
  t.same(Object.keys(doc.paths['/exotel-webhook'].post.requestBody.content).sort(),
    ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'], "Exotel's three body formats")
  t.match(doc.paths['/ws-url'].get.description, /The WebSocket at that URL \(`\/media`\)/, 'the media stream, in words')
  t.same(doc.servers, [{ url: 'http://localhost:8000', description: 'This server on its default address (PUBLIC_BASE_URL is not set)' }])
})

t.test('the servers are PUBLIC_BASE_URL when it is set', async (t) => {
  const app = await build(t, { env: { PUBLIC_BASE_URL: 'https://calls.example.in' } })
  t.same((await app.inject({ url: '/docs/json' })).json().servers, [{ url: 'https://calls.example.in', description: 'PUBLIC_BASE_URL' }])
})

t.test('npm run openapi writes a document that Redocly lints clean and that a generated client compiles against', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'vcm-openapi-'))
  const file = path.join(dir, 'openapi.json')
  const env = { PATH: process.env.PATH, _TAPJS_PROCESSINFO_COVERAGE_: '0', PUBLIC_BASE_URL: 'https://calls.example.in' }
  const written = spawnSync('npm', ['run', '--silent', 'openapi', '--', file], { cwd: projectRoot, env, encoding: 'utf8' })
  t.equal(written.status, 0, written.stderr)
  const doc = JSON.parse(await readFile(file, 'utf8'))
  t.same(doc.servers, [{ url: 'https://calls.example.in', description: 'PUBLIC_BASE_URL' }], 'servers from PUBLIC_BASE_URL')

  const lint = spawnSync(path.join(projectRoot, 'node_modules/.bin/redocly'), ['lint', '--config', 'redocly.yaml', file], {
    cwd: projectRoot,
    env: { ...env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    encoding: 'utf8'
  })
  t.equal(lint.status, 0, 'redocly lint: no errors')
  const said = lint.stdout + lint.stderr
  t.match(said, /Your API description is valid/, 'redocly lint: valid')
  t.notMatch(said, /You have \d+ warning|was generated by/, `redocly lint: no warnings\n${said}`)

  // The types a consumer generates, Blob for files (openapi-typescript's documented transform).
  const types = astToString(await openapiTS(doc, {
    transform: (schema) => schema.format === 'binary' ? ts.factory.createTypeReferenceNode('Blob') : undefined
  }))
  const clientDir = path.join(projectRoot, 'test/openapi-client')
  await mkdir(path.join(clientDir, 'generated'), { recursive: true })
  await writeFile(path.join(clientDir, 'generated/api.ts'), types)
  const program = ts.createProgram([path.join(clientDir, 'consumer.ts')], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2023,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    skipLibCheck: true,
    types: []
  })
  const problems = ts.getPreEmitDiagnostics(program).map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'))
  t.same(problems, [], 'the consumer compiles against the generated client')

  // And it works: the program, run against the app.
  const { lines, logger } = capturingLogger()
  const app = await build(t, { logger, env: { EXOTEL_SIMULATOR_RING_MS: '60000' } })
  const address = await app.listen({ host: '127.0.0.1', port: 0 })
  const user = await testUsers(app, lines).signedIn()
  // A path the compiler does not follow: the consumer's types exist only once this test has generated them.
  const consumer = '../openapi-client/consumer.js'
  const { consume } = await import(consumer) as { consume: (...args: string[]) => Promise<Record<string, any>> }
  const result = await consume(address, user.access_token, 'customer_id,name,phone\nG1,Gita Rao,9876500011\nG2,Hari Lal,9876500012\n')
  t.match(result.uploadId, /^[0-9a-f-]{36}$/)
  t.same(result.names, ['Gita Rao', 'Hari Lal'])
  t.match(result.batchId, /^[0-9a-f-]{36}$/, 'the campaign started')
  t.match(result.events, `event: batch\ndata: {"id":"${result.batchId}","change":"queued","calls":2}`, 'and its event arrived on the stream')
})
