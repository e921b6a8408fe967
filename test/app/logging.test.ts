import t from 'tap'
import { redactPhones, redactUrl } from '../../lib/server/log-options.js'
import { build, capturingLogger, multipartFile, testUsers } from '../helper.js'

t.test('redactUrl hides the values of sensitive query parameters only', async (t) => {
  t.equal(redactUrl('/health'), '/health')
  t.equal(
    redactUrl('/ws-url?CallSid=abc&CallFrom=09876543210&token=eyJ.x.y&secret=s3&Stream%5Fkey=k&page=2'),
    '/ws-url?CallSid=abc&CallFrom=[redacted]&token=[redacted]&secret=[redacted]&Stream%5Fkey=[redacted]&page=2'
  )
  t.equal(redactUrl('/x?%E0%A4=1&flag'), '/x?%E0%A4=1&flag', 'undecodable names and bare flags pass through')
})

t.test('secrets, tokens, passwords and phone numbers never reach the log', async (t) => {
  const { lines, logger } = capturingLogger('trace')
  const app = await build(t, { logger })
  await app.inject({
    method: 'GET',
    url: '/health?CallFrom=%2B919876543210&access_token=tok-123',
    headers: { authorization: 'Bearer tok-456', cookie: 'session=tok-789' }
  })
  app.log.info({
    body: { email: 'a@b.co', password: 'hunter2', phone: '+919876543210' },
    call: { To: '+919812345678', details: { refresh_token: 'tok-000' } }
  }, 'something with secrets in it')
  app.log.info({ err: Object.assign(new Error('boom'), { code: 'E_BOOM' }) }, 'an error keeps its code')

  const log = lines.join('\n')
  t.ok(log.includes('something with secrets in it'), 'the lines were written')
  for (const secret of ['tok-123', 'tok-456', 'tok-789', 'tok-000', 'hunter2', '9876543210', '9812345678']) {
    t.notOk(log.includes(secret), `${secret} is not in the log`)
  }
  t.ok(log.includes('a@b.co'), 'harmless fields stay')
  t.ok(log.includes('E_BOOM'), 'error codes are not mistaken for secrets')
})

t.test('phone numbers never reach the log from searches, errors and refusals that quote a file', async (t) => {
  const { lines, logger } = capturingLogger('trace')
  const app = await build(t, { logger })
  const user = await testUsers(app, lines).signedIn()
  const authorization = `Bearer ${user.access_token as string}`
  await app.inject({ url: '/api/customers?search=98765%2043210&limit=5', headers: { authorization } })
  const { payload, headers } = multipartFile('9876500011,Asha\n9876500012,Ravi\n') // no header: the first row is read as one
  const refused = await app.inject({ method: 'POST', url: '/api/upload-customers', payload, headers: { ...headers, authorization } })
  t.match(refused.json().message, /Columns found: 9876500011, Asha/, 'the operator is told what was found')
  app.log.error({
    err: Object.assign(new Error(`duplicate key value ${'x'.repeat(5000)}`), { detail: 'Key (phone)=(+91 98765-00013) already exists.' })
  }, 'a database error')

  const log = lines.join('\n')
  // Each as a number, not as the same digits inside another (a response time, a timestamp, an id).
  for (const phone of ['98765', '9876500011', '9876500012', '98765-00013']) {
    t.notOk(new RegExp(`(?<![\\d.])${phone}(?!\\d)`).test(log), `${phone} is not in the log`)
  }
  t.ok(log.includes('search=[redacted]&limit=5'))
  t.ok(log.includes('Columns found: [phone], Asha'), 'the refusal is logged, its number taken out')
  const error = lines.map((line) => JSON.parse(line)).find((line) => line.msg === 'a database error')
  t.equal(error.err.detail, 'Key (phone)=([phone]) already exists.')
  t.equal(error.err.message.length, 1003, 'an error quotes at most 1,000 characters')
  t.equal(redactPhones('call 1800-123-4567 or +91 (98765) 43210, order 1234567'), 'call [phone] or [phone], order 1234567')
})
