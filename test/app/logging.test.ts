import t from 'tap'
import { redactUrl } from '../../lib/log-options.js'
import { build, capturingLogger } from '../helper.js'

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
