import t from 'tap'
import { Webhook } from 'standardwebhooks'
import { multipartFile, PASSWORD, seededDataDir, startServerProcess } from './helper.js'
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

  const email = `hooks.${Date.now()}@example.com`
  const post = async (url: string, body: unknown, token?: string) => await fetch(`${base}${url}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body)
  })
  await post('/auth/signup', { email, password: PASSWORD })
  let code: string | undefined
  for (let i = 0; i < 100 && !code; i++) {
    code = first.output().stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { email?: string, code?: string })
      .find((line) => line.email === email)?.code
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  await post('/auth/confirm-signup', { email, confirmation_code: code })
  const signIn = async () => (await (await post('/auth/login', { email, password: PASSWORD })).json() as { access_token: string }).access_token
  const token = await signIn() // the first person in: an administrator

  const made = await post('/api/webhooks', { url: hook.url, events: ['upload.completed'] }, token)
  t.equal(made.status, 201, 'the endpoint is added')
  const { secret } = await made.json() as { secret: string }
  for (const n of [1, 2, 3]) {
    const { payload, headers } = multipartFile(`customer_id,name,phone\nH${n},Person ${n},900000010${n}\n`, `customers-${n}.csv`)
    const upload = await fetch(`${base}/api/upload-customers`, { method: 'POST', body: payload, headers: { ...headers, authorization: `Bearer ${token}` } })
    t.equal(upload.status, 200)
  }
  for (let i = 0; i < 200 && hook.received.length < 3; i++) await new Promise((resolve) => setTimeout(resolve, 25))
  t.equal(hook.received.length, 3, 'three deliveries on their way, none answered')
  first.child.kill('SIGKILL')
  await first.exited

  hook.state.mode = 'ok'
  const second = await startServerProcess(env)
  t.teardown(() => { second.child.kill('SIGKILL') })
  base = await second.address()
  for (let i = 0; i < 800 && hook.received.length < 6; i++) await new Promise((resolve) => setTimeout(resolve, 25))
  t.equal(hook.received.length, 6, 'each sent again after the restart')
  const ids = (from: number) => hook.received.slice(from, from + 3).map((delivery) => delivery.headers['webhook-id']).sort()
  t.same(ids(3), ids(0), 'with the same webhook-ids, so the receiver can drop the repeats')
  const files = hook.received.slice(3).map((delivery) =>
    (new Webhook(secret).verify(delivery.body, delivery.headers as Record<string, string>) as { data: { file_name: string } }).data.file_name)
  t.same(files.sort(), ['customers-1.csv', 'customers-2.csv', 'customers-3.csv'], 'none lost, each signed')
  second.child.kill('SIGTERM')
  await second.exited
})
