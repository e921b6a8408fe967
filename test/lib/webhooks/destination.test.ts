import t from 'tap'
import { destinationRefusal } from '../../../lib/webhooks/deliver.js'

t.test('in production, a destination must be https and reach a public address', async (t) => {
  t.equal(await destinationRefusal('http://crm.example.com/hook', false), 'it must be an https:// URL')
  for (const url of ['https://127.0.0.1/hook', 'https://10.1.2.3/', 'https://169.254.169.254/latest/meta-data', 'https://192.168.1.1',
    'https://[::1]/hook', 'https://localhost/hook']) {
    t.match(await destinationRefusal(url, false), /loopback, private or link-local/, url)
  }
  t.equal(await destinationRefusal('https://203.0.113.9/hook', false), undefined, 'a public address')
  t.match(await destinationRefusal('https://no-such-host.invalid/hook', false), /is not found/)
})

t.test('in development and tests, http and local receivers are allowed', async (t) => {
  t.equal(await destinationRefusal('http://127.0.0.1:9/hook', true), undefined)
  t.equal(await destinationRefusal('ftp://127.0.0.1/hook', true), 'it must be an https:// URL')
})
