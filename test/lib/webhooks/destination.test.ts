import t from 'tap'
import { destinationRefusal, WebhookSender } from '../../../lib/webhooks/deliver.js'
import { newSecret } from '../../../lib/webhooks/webhooks.js'
import { engines, migratedDatabase } from '../../helper.js'
import { receiver } from '../../webhook-receiver.js'

t.test('in production, a destination must be https and reach a public address', async (t) => {
  t.equal(await destinationRefusal('http://crm.example.com/hook', false), 'it must be an https:// URL')
  for (const url of ['https://127.0.0.1/hook', 'https://10.1.2.3/', 'https://169.254.169.254/latest/meta-data', 'https://192.168.1.1',
    'https://[::1]/hook', 'https://localhost/hook']) {
    t.match(await destinationRefusal(url, false), /loopback, private or link-local/, url)
  }
  t.equal(await destinationRefusal('https://203.0.113.9/hook', false), undefined, 'a public address')
  t.match(await destinationRefusal('https://no-such-host.invalid/hook', false), /is not found/)
})

t.test('in development and tests, http and local receivers are allowed; a host that is not found is not', async (t) => {
  t.equal(await destinationRefusal('http://127.0.0.1:9/hook', true), undefined)
  t.equal(await destinationRefusal('http://localhost:9/hook', true), undefined)
  t.equal(await destinationRefusal('ftp://127.0.0.1/hook', true), 'it must be an https:// URL')
  t.equal(await destinationRefusal('https://no-such-host.invalid/hook', true), 'its host no-such-host.invalid is not found')
})

for (const engine of engines) {
  t.test(`${engine.name}: a destination refused when it is sent to is a failed attempt, saying why`, async (t) => {
    const db = await migratedDatabase(t, engine)
    const { rows: [hook] } = await db.query<{ id: string }>(
      "INSERT INTO webhook (url, events, secret, created_by) VALUES ('http://127.0.0.1:9/hook', '{upload.completed}', $1, 'test') RETURNING id",
      [newSecret()])
    await db.query("INSERT INTO webhook_delivery (webhook_id, event, payload) VALUES ($1, 'upload.completed', '{}')", [hook!.id])
    const sender = new WebhookSender(db, { timeoutMs: 1000, perEndpoint: 1, batch: 10, allowPrivate: false }, () => {})
    t.equal(await sender.round(new Date(Date.now() + 1000)), 1)
    const { rows } = await db.query('SELECT status_code, error FROM webhook_attempt')
    t.same(rows, [{ status_code: null, error: 'destination refused: it must be an https:// URL' }])
    t.equal(await sender.round(new Date(Date.now() + 2000)), 0, 'then it waits its backoff')
  })
}

t.test('rounds follow one another while there is work, and none starts once the sender is stopped', async (t) => {
  const db = await migratedDatabase(t)
  const hook = await receiver(t)
  hook.state.mode = 'slow'
  const { rows: [webhook] } = await db.query<{ id: string }>(
    "INSERT INTO webhook (url, events, secret, created_by) VALUES ($1, '{upload.completed}', $2, 'test') RETURNING id", [hook.url, newSecret()])
  await db.query(`INSERT INTO webhook_delivery (webhook_id, event, payload)
    SELECT $1, 'upload.completed', jsonb_build_object('n', n) FROM generate_series(1, 12) AS n`, [webhook!.id])
  const sender = new WebhookSender(db, { timeoutMs: 2000, perEndpoint: 1, batch: 10, allowPrivate: true }, () => {})
  sender.tick(new Date(Date.now() + 1000)) // a round of 4 (one sender, four deliveries each)
  await sender.idle() // stops after the round under way
  const { rows } = await db.query<{ status: string, n: number }>('SELECT status, count(*)::int AS n FROM webhook_delivery GROUP BY status ORDER BY status')
  t.same(rows, [{ status: 'delivered', n: 4 }, { status: 'pending', n: 8 }], 'the round under way ended; no other began')
})
