import t from 'tap'
import { Webhook } from 'standardwebhooks'
import { personOnProcess, seededDataDir, startServerProcess } from './helper.js'
import { receiver } from './webhook-receiver.js'

// The real server is killed outright (kill -9) while its deliveries are on their way to an endpoint that has not
// answered yet: after a restart on the same data each is sent again, with the same webhook-id, and none is lost.
t.test('webhook deliveries survive kill -9 mid-delivery: each is sent again with its webhook-id', async (t) => {
  const hook = await receiver(t)
  hook.state.mode = 'silent' // holds each delivery, answering nothing, until the server dies
  const env = { HOST: '127.0.0.1', PORT: '0', DATA_DIR: await seededDataDir(t), WEBHOOK_TIMEOUT_SECONDS: '2' }
  const first = await startServerProcess(env)
  t.teardown(() => { first.child.kill('SIGKILL') })
  let base = await first.address()
  const admin = await personOnProcess(first, () => base) // the first person in: an administrator

  const made = await admin.post('/api/webhooks', { url: hook.url, events: ['upload.completed'] })
  t.equal(made.status, 201, 'the endpoint is added')
  const { secret } = await made.json() as { secret: string }
  for (const n of [1, 2, 3]) {
    t.equal((await admin.upload(`customer_id,name,phone\nH${n},Person ${n},900000010${n}\n`, `customers-${n}.csv`)).status, 200)
  }
  for (let i = 0; i < 200 && hook.received.length < 3; i++) await new Promise((resolve) => setTimeout(resolve, 25))
  t.equal(hook.received.length, 3, 'three deliveries on their way, none answered')
  first.child.kill('SIGKILL')
  await first.exited

  hook.state.mode = 'ok'
  const second = await startServerProcess(env)
  t.teardown(() => { second.child.kill('SIGKILL') })
  base = await second.address()
  for (let i = 0; i < 2400 && hook.received.length < 6; i++) await new Promise((resolve) => setTimeout(resolve, 25))
  t.equal(hook.received.length, 6, 'each sent again after the restart')
  const ids = (from: number) => hook.received.slice(from, from + 3).map((delivery) => delivery.headers['webhook-id']).sort()
  t.same(ids(3), ids(0), 'with the same webhook-ids, so the receiver can drop the repeats')
  const files = hook.received.slice(3).map((delivery) =>
    (new Webhook(secret).verify(delivery.body, delivery.headers as Record<string, string>) as { data: { file_name: string } }).data.file_name)
  t.same(files.sort(), ['customers-1.csv', 'customers-2.csv', 'customers-3.csv'], 'none lost, each signed')
  second.child.kill('SIGTERM')
  await second.exited
})
