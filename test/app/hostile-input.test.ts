import { connect } from 'node:net'
import type { InjectOptions, RouteOptions } from 'fastify'
import t from 'tap'
import { build, capturingLogger, multipartFile, testUsers } from '../helper.js'

/**
 * Input an attacker or an unlucky client sends: every answer is a 4xx in the envelope that names what was wrong,
 * never a 500 and never an answer in another shape, from whichever layer (Node's HTTP parser, Fastify's router,
 * CORS, validation, the database, Cognito) it comes.
 */
const TOKEN = 'webhook-token-for-tests'
const { lines, logger } = capturingLogger()
const routes: RouteOptions[] = []
const app = await build(t, { logger, env: { EXOTEL_WEBHOOK_TOKEN: TOKEN }, onRoute: (route) => { routes.push(route) } })
const user = await testUsers(app, lines).signedIn()
const authorization = `Bearer ${user.access_token as string}`

const refused = (name: string, response: { statusCode: number, body: string }, status: number, message: RegExp) => {
  t.equal(response.statusCode, status, `${name}: ${status}`)
  let body
  try { body = JSON.parse(response.body) } catch { body = response.body }
  t.match(body, { success: false, message }, `${name}: in the envelope, naming what was wrong`)
}

t.test('NUL characters, in every place a string arrives, are refused naming the field', async (t) => {
  const cases: Array<[string, InjectOptions, RegExp]> = [
    ['a customer id in the path', { url: '/api/customers/C%00', headers: { authorization } }, /^params\.id holds a NUL character$/],
    ['a search', { url: '/api/customers?search=a%00b', headers: { authorization } }, /^query\.search holds a NUL character$/],
    ['a reason', {
      method: 'POST', url: '/api/suppressions', payload: { phones: ['9000000001'], reason: 'x\u0000' }, headers: { authorization }
    }, /^body\.reason holds a NUL character$/],
    ['a phone in a list', {
      method: 'POST', url: '/api/suppressions', payload: { phones: ['9000000001', '9\u0000'] }, headers: { authorization }
    }, /^body\.phones\[1\] holds a NUL character$/],
    ['a CallSid', {
      method: 'POST', url: `/exotel-webhook?token=${TOKEN}`, payload: { CallSid: 'a\u0000', EventType: 'terminal', Status: 'completed' }
    }, /^body\.CallSid holds a NUL character$/],
    ['a file name', {
      method: 'POST', url: '/api/upload-customers', ...(() => { const f = multipartFile('phone\n9000000002\n', 'a\u0000.csv'); return { payload: f.payload, headers: { ...f.headers, authorization } } })()
    }, /^The file name holds a NUL character$/]
  ]
  for (const [name, request, message] of cases) refused(name, await app.inject(request), 400, message)
})

t.test('numbers past what the database holds', async (t) => {
  refused('limit=Infinity', await app.inject({ url: '/api/calls?limit=Infinity', headers: { authorization } }), 400, /^query\.limit must be <= 500$/)
  refused('an offset past PostgreSQL\'s integers', await app.inject({ url: '/api/calls?offset=99999999999', headers: { authorization } }),
    400, /^query\.offset must be <= 2147483647$/)
  refused('an offset of 1e300', await app.inject({ url: '/api/customers?offset=1e300', headers: { authorization } }), 400, /^query\.offset must be/)
})

t.test('dates no calendar has, or no call needs', async (t) => {
  for (const [name, date] of [['year 0000', '0000-01-01T00:00:00Z'], ['year 9999', '9999-12-31T23:59:59Z'], ['a leap second', '2026-12-31T23:59:60Z']]) {
    refused(`analytics since ${name}`, await app.inject({ url: `/api/analytics?since=${date}`, headers: { authorization } }),
      400, /^query\.since must be a date-time between 2000 and 2100, such as /)
    for (const dryRun of [true, false]) {
      refused(`a batch starting at ${name}${dryRun ? ' (dry run)' : ''}`, await app.inject({
        method: 'POST', url: '/api/trigger-bulk-calls', payload: { filter: {}, start_at: date, dry_run: dryRun }, headers: { authorization }
      }), 400, /^body\.start_at must be a date-time between 2000 and 2100, such as /)
    }
  }
})

t.test('tokens far longer than any token', async (t) => {
  refused('a 100 KB refresh token', await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: 'x'.repeat(100 * 1024) } }),
    400, /^body\.refresh_token must NOT have more than 8192 characters$/)
  refused('a 2 MB body', await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: 'x'.repeat(2 * 1024 * 1024) } }),
    413, /^Request body is too large$/)
  refused('a 1 MB access token (past Node, which stops any header over 16 KB)',
    await app.inject({ url: '/auth/me', headers: { authorization: `Bearer ${'x'.repeat(1024 * 1024)}` } }), 401, /./)
})

t.test('answers from the layers under the routes are in the envelope too', async (t) => {
  refused('an over-long path id', await app.inject({ url: `/api/customers/${'x'.repeat(500)}`, headers: { authorization } }),
    400, /^The URL could not be read: '\/api\/customers\/x{180}/)
  refused('a bad % escape', await app.inject({ url: '/api/customers/%E0%A4%A', headers: { authorization } }),
    400, /^The URL could not be read: '\/api\/customers\/%E0%A4%A' is not a valid url component$/)
  refused('OPTIONS without Origin', await app.inject({ method: 'OPTIONS', url: '/api/customers' }), 400, /^Invalid Preflight Request$/)
  refused('a route that is not there, its path cut short', await app.inject({ url: `/nowhere/${'y'.repeat(300)}` }),
    404, /^Route GET \/nowhere\/y{91}\.\.\. not found$/)
})

t.test('a 70 KB query string, or no HTTP at all, over a real socket: Node\'s own refusal is in the envelope', async (t) => {
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  const answer = async (request: string) => {
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => { socket.end(request) })
      let data = ''
      socket.on('data', (chunk) => { data += String(chunk) })
      socket.on('end', () => resolve(data))
      socket.on('error', reject)
    })
    const [head, body] = raw.split('\r\n\r\n')
    return { head, body: JSON.parse(body!) }
  }
  const long = await answer(`GET /api/customers?search=${'a'.repeat(70 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n`)
  t.match(long.head, /^HTTP\/1\.1 431 /)
  t.match(long.body, { success: false, message: /^The request's headers are too large/ })
  const garbage = await answer('HELLO THERE\r\n\r\n')
  t.match(garbage.head, /^HTTP\/1\.1 400 /)
  t.match(garbage.body, { success: false, message: /^The request could not be read as HTTP \(HPE_/ })
})

/** Every string and number a schema lets in, with where it is, that has no bound. */
function unbounded (schema: unknown, where: string): string[] {
  if (typeof schema !== 'object' || schema === null) return []
  const node = schema as Record<string, unknown>
  const found: string[] = []
  if (node.type === 'string' && node.maxLength === undefined && node.enum === undefined && node.const === undefined &&
    node.format !== 'uuid' && node.format !== 'date-time') found.push(`${where}: a string without maxLength`)
  if ((node.type === 'integer' || node.type === 'number') && node.maximum === undefined && node.const === undefined) {
    found.push(`${where}: a number without maximum`)
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === 'properties') {
      for (const [name, property] of Object.entries(value as object)) found.push(...unbounded(property, `${where}.${name}`))
    } else if (typeof value === 'object') found.push(...unbounded(value, key === 'items' ? `${where}[]` : where))
  }
  return found
}

t.test('every string and number a route takes is bounded in its schema', async (t) => {
  t.ok(routes.length > 20)
  for (const route of routes) {
    for (const part of ['params', 'querystring', 'body', 'headers'] as const) {
      const schema = route.schema?.[part]
      // A multipart body is streamed to its handler, which bounds the file (UPLOAD_MAX_BYTES) and its fields.
      if (part === 'body' && route.schema?.consumes?.includes('multipart/form-data')) continue
      t.same(unbounded(schema, `${route.method} ${route.url} ${part}`), [], `${route.method} ${route.url} ${part}`)
    }
  }
})
