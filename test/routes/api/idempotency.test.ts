import t from 'tap'
import { build, capturingLogger, multipartFile, testUsers } from '../../helper.js'

const { lines, logger } = capturingLogger()
// The phones ring for a minute: a call placed here is still live when a later test counts on it (K1's, K2's).
const app = await build(t, { logger, env: { EXOTEL_SIMULATOR_RING_MS: '60000', CALLS_PER_MINUTE: '1' } })
await app.listen({ host: '127.0.0.1', port: 0 })
const users = testUsers(app, lines)
const first = await users.signedIn()
const second = await users.signedIn()
const as = (user: { access_token?: unknown }, key?: string) => ({
  authorization: `Bearer ${user.access_token as string}`, ...(key !== undefined && { 'idempotency-key': key })
})
const { payload, headers } = multipartFile('customer_id,name,phone\nK1,Key One,9000000000\nK2,Key Two,9000000010\nK3,Key Three,9000000020\nK4,Key Four,9000000030\n')
await app.inject({ method: 'POST', url: '/api/upload-customers', payload, headers: { ...headers, ...as(first) } })

const single = (user: { access_token?: unknown }, key: string | undefined, customerId: string) =>
  app.inject({ method: 'POST', url: '/api/trigger-single-call', payload: { customer_id: customerId }, headers: as(user, key) })
const bulk = (user: { access_token?: unknown }, key: string | undefined, body: object) =>
  app.inject({ method: 'POST', url: '/api/trigger-bulk-calls', payload: body, headers: as(user, key) })
const callsTo = async (customerId: string) =>
  (await app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM call WHERE customer_id = $1', [customerId])).rows[0]!.n

t.test('a repeated single call with the same key gets the first answer, marked, and dials nobody', async (t) => {
  const started = await single(first, 'key-single-1', 'K1')
  t.equal(started.statusCode, 200)
  t.notOk(started.headers['idempotent-replayed'])
  const again = await single(first, 'key-single-1', 'K1')
  t.equal(again.statusCode, 200)
  t.equal(again.headers['idempotent-replayed'], 'true')
  t.match(again.headers['content-type'], /^application\/json/)
  t.same(again.json(), started.json(), 'the very same answer')
  t.equal(await callsTo('K1'), 1, 'one call')

  const other = await single(first, 'key-single-1', 'K2')
  t.equal(other.statusCode, 409)
  t.same(other.json(), { success: false, message: 'This Idempotency-Key was used with a different request' })
  t.equal(await callsTo('K2'), 0)

  const theirs = await single(second, 'key-single-1', 'K2')
  t.equal(theirs.statusCode, 200, "another user's key of the same name is theirs")
  t.notOk(theirs.headers['idempotent-replayed'])

  const noKey = await single(first, undefined, 'K1')
  t.equal(noKey.statusCode, 409, 'without a key, a request is a new request (and K1 has a call going)')
})

t.test('answers that refuse are replayed too; a key of the wrong size is refused', async (t) => {
  const missing = await single(first, 'key-missing', 'NOPE')
  t.equal(missing.statusCode, 404)
  const again = await single(first, 'key-missing', 'NOPE')
  t.equal(again.statusCode, 404)
  t.equal(again.headers['idempotent-replayed'], 'true')
  t.same(again.json(), { success: false, message: 'Customer not found' })
  const long = await single(first, 'k'.repeat(256), 'K3')
  t.equal(long.statusCode, 400)
  t.match(long.json().message, /idempotency-key/)
})

t.test('bulk: the same batch again, not a second one', async (t) => {
  const queued = await bulk(first, 'key-bulk-1', { customer_ids: ['K3'] })
  t.equal(queued.statusCode, 202)
  const again = await bulk(first, 'key-bulk-1', { customer_ids: ['K3'] })
  t.equal(again.statusCode, 202)
  t.equal(again.headers['idempotent-replayed'], 'true')
  t.equal(again.json().batch_id, queued.json().batch_id)
  t.equal((await app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM campaign')).rows[0]!.n, 1)
  t.equal((await bulk(first, 'key-bulk-1', { customer_ids: ['K4'] })).statusCode, 409)
  const sameKeyOtherRoute = await single(first, 'key-bulk-1', 'K4')
  t.equal(sameKeyOtherRoute.statusCode, 200, 'a key belongs to one route')
})

t.test('a key whose first request is still running, one abandoned, one expired, and a server failure', async (t) => {
  const sub = (await app.inject({ url: '/auth/me', headers: as(second) })).json().user.sub as string
  const hash = (await import('../../../lib/server/idempotency.js')).requestHash({ customer_ids: ['K1'] })
  const insert = (key: string, age: string, response: string | null) => app.db.query(
    `INSERT INTO idempotency_key (owner, route, key, request_hash, status_code, response, created_at)
     VALUES ($1, 'POST /api/trigger-bulk-calls', $2, $3, $4, $5, now() - $6::interval)`,
    [sub, key, hash, response === null ? null : 202, response, age]
  )
  await insert('running', '1 minute', null)
  const running = await bulk(second, 'running', { customer_ids: ['K1'] })
  t.equal(running.statusCode, 409)
  t.match(running.json().message, /still being handled/)

  await insert('abandoned', '10 minutes', null)
  await insert('expired', '25 hours', '{"success":true,"message":"old"}')
  t.equal((await bulk(second, 'abandoned', { customer_ids: ['K1'] })).statusCode, 400, 'handled afresh (K1 has a live call)')
  const expired = await bulk(second, 'expired', { customer_ids: ['K1'] })
  t.notOk(expired.headers['idempotent-replayed'], 'an expired key is forgotten')

  await app.db.exec('ALTER TABLE campaign RENAME TO campaign_away')
  const failed = await bulk(second, 'key-failing', { customer_ids: ['K2'] })
  await app.db.exec('ALTER TABLE campaign_away RENAME TO campaign')
  t.equal(failed.statusCode, 500)
  const retried = await bulk(second, 'key-failing', { customer_ids: ['K2'] })
  t.notOk(retried.headers['idempotent-replayed'], 'a failure on our side is not kept: the retry runs')
})
