import t from 'tap'
import { personOnProcess, seededDataDir, startServerProcess } from './helper.js'

// A batch running in the real server, which is killed outright (kill -9) mid-campaign and started again on the
// same data: nothing queued is lost, and nobody is dialled twice.
t.test('a batch survives kill -9 and a restart: every call is made, none twice', async (t) => {
  const dataDir = await seededDataDir(t)
  const env = {
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir,
    CALLS_PER_MINUTE: '200',
    MAX_CONCURRENT_CALLS: '3',
    EXOTEL_SIMULATOR_RING_MS: '200',
    EXOTEL_SIMULATOR_TALK_MS: '300',
    CALL_TIMEOUT_SECONDS: '1' // calls in flight at the crash never get their callback: their simulator died
  }
  const first = await startServerProcess(env)
  t.teardown(() => { first.child.kill('SIGKILL') })
  let base = await first.address()

  const operator = await personOnProcess(first, () => base)
  const customers = Array.from({ length: 20 }, (_, i) => `K${i},Person ${i},900000${String(i).padStart(3, '0')}5`)
  const upload = await operator.upload(`customer_id,name,phone\n${customers.join('\n')}\n`)
  t.match(await upload.json(), { inserted: 20 }, 'the customers are uploaded')
  const queued = await operator.post('/api/trigger-bulk-calls', { filter: {} })
  const batchId = (await queued.json() as { batch_id: string }).batch_id
  t.equal(queued.status, 202, 'the batch is queued')
  interface Batch { status: string, counts: { queued: number } }
  const batch = async () => (await (await operator.get(`/api/batches/${batchId}`)).json() as { batch: Batch }).batch

  for (let i = 0; i < 200 && (await batch()).counts.queued > 14; i++) await new Promise((resolve) => setTimeout(resolve, 25))
  first.child.kill('SIGKILL')
  await first.exited
  const before = await batch().catch(() => undefined)
  t.equal(before, undefined, 'the server is gone')

  const second = await startServerProcess(env)
  t.teardown(() => { second.child.kill('SIGKILL') })
  base = await second.address()
  await operator.signIn()
  let after = await batch()
  for (let i = 0; i < 600 && after.status !== 'finished'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    after = await batch()
  }
  t.equal(after.status, 'finished', 'the batch ran to its end after the restart')
  t.equal(after.counts.queued, 0, 'nothing queued was lost')

  const { calls } = await (await operator.get(`/api/calls?batch_id=${batchId}&limit=500`)).json() as { calls: Array<{ customer_id: string, exotel_sid: string | null, status: string }> }
  t.equal(calls.length, 20, 'one call per customer: none queued again')
  const dialled = new Map<string, number>()
  for (const call of calls) if (call.exotel_sid) dialled.set(call.customer_id, (dialled.get(call.customer_id) ?? 0) + 1)
  t.ok([...dialled.values()].every((n) => n === 1), 'nobody dialled twice')
  t.ok(calls.filter((call) => call.status === 'completed').length >= 14, 'the calls queued at the crash were all made')
  second.child.kill('SIGTERM')
  await second.exited
})
