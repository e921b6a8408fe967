import t from 'tap'
import { addTimelineEntry, applyReport, createCall, getCall } from '../../../lib/calls/calls.js'
import { dial } from '../../../lib/calls/dialler.js'
import { ExotelClient } from '../../../lib/exotel/exotel-client.js'
import { startExotelSimulator } from '../../../lib/exotel/simulator.js'
import { engines, migratedDatabase } from '../../helper.js'

const db = await migratedDatabase(t)

t.test('a status only moves forward, and each report is recorded once', async (t) => {
  const call = await createCall(db, { customerId: 'C1', customerName: null, phone: '+919000000005', triggeredBy: 'sub' })
  const report = (status: 'initiated' | 'ringing' | 'in-progress' | 'completed' | 'failed', key = status) =>
    applyReport(db, { id: call.id }, { status, source: 'test', dedupeKey: key })
  t.match(await report('in-progress'), { changed: true, call: { status: 'in-progress', answered_at: Date } })
  t.match(await report('ringing'), { changed: false, call: { status: 'in-progress' } }, 'a late ringing is history only')
  t.match(await report('completed'), { changed: true, call: { status: 'completed', ended_at: Date } })
  t.match(await report('failed'), { changed: false, call: { status: 'completed' } }, 'terminal is final')
  t.match(await report('failed'), { changed: false }, 'a repeat')
  const timeline = (await getCall(db, call.id))!.events.map((event) => event.status)
  t.same(timeline, ['queued', 'in-progress', 'ringing', 'completed', 'failed'], 'every distinct report is in the timeline')
  t.equal(await applyReport(db, { id: '00000000-0000-4000-8000-000000000000' }, { status: 'failed', source: 'x', dedupeKey: 'x' }), undefined)
})

t.test('an entry on the timeline of an answered call takes one statement; a call not yet answered is left to applyReport', async (t) => {
  const call = await createCall(db, { customerId: 'C9', customerName: null, phone: '+919000000009', triggeredBy: 'sub' })
  const entry = (key: string, at?: Date) => addTimelineEntry(db, call.id, { status: 'in-progress', source: 'media-stream', dedupeKey: key, detail: { mark: key }, at })
  t.equal(await entry('mark:early'), false, 'queued: not written')
  await applyReport(db, { id: call.id }, { status: 'in-progress', source: 'test', dedupeKey: 'answered' })
  const before = (await getCall(db, call.id))!.updated_at
  const at = new Date(Date.now() - 5000)
  t.equal(await entry('mark:one', at), true)
  t.equal(await entry('mark:one'), true, 'a repeat is found, and written once')
  const after = (await getCall(db, call.id))!
  t.same(after.events.filter((event) => event.source === 'media-stream').map((event) => [event.status, event.detail, new Date(event.created_at).getTime()]),
    [['in-progress', { mark: 'mark:one' }, at.getTime()]], 'written once, when it happened')
  t.equal(after.status, 'in-progress')
  t.ok(new Date(after.updated_at) >= new Date(before), 'the call is touched')
  await applyReport(db, { id: call.id }, { status: 'completed', source: 'test', dedupeKey: 'done' })
  t.equal(await entry('stream-stop:s'), true, 'a call that is over takes its stream\'s last entries')
  t.equal(await addTimelineEntry(db, '00000000-0000-4000-8000-000000000000', { status: 'in-progress', source: 'x', dedupeKey: 'x' }), false, 'no such call')
})

t.test('other database failures are not taken for a call in progress', async (t) => {
  await t.rejects(createCall(db, { customerId: 'C2', customerName: null, phone: null as unknown as string, triggeredBy: 'sub' }),
    { code: '23502' })
})

t.test('a dial that fails for a reason other than Exotel closes the call, and leaves the error to the caller', async (t) => {
  const call = await createCall(db, { customerId: 'C3', customerName: null, phone: '+919000000005', triggeredBy: 'sub' })
  const broken = { connect: async () => { throw new TypeError('fetch is broken') } } as unknown as ExotelClient
  await t.rejects(dial(db, broken, call, 'http://127.0.0.1:9/exotel-webhook'), TypeError)
  t.match(await getCall(db, call.id), { status: 'failed', error: 'The call could not be placed' })
})

t.test("Exotel's refusal is kept on the failed call, with Exotel's status", async (t) => {
  const simulator = await startExotelSimulator({ accountSid: 'acme1', apiKey: 'key', apiToken: 'token', passthruUrl: () => 'http://127.0.0.1:9/' })
  t.teardown(() => simulator.stop())
  const exotel = new ExotelClient({
    baseUrl: simulator.baseUrl, accountSid: 'acme1', apiKey: 'key', apiToken: 'wrong', callerId: '08000000001', appId: '42'
  })
  const call = await createCall(db, { customerId: 'C4', customerName: null, phone: '+919000000005', triggeredBy: 'sub' })
  await t.rejects(dial(db, exotel, call, 'http://127.0.0.1:9/exotel-webhook'), { statusCode: 502, message: /credentials/ })
  const failed = await getCall(db, call.id)
  t.match(failed, { status: 'failed', error: /^Exotel refused our API credentials/ })
  t.same(failed!.events.at(-1)!.detail, { exotel_status: 401, outcome_unknown: false })
})

for (const engine of engines) {
  t.test(`${engine.name}: a callback that comes while the dial's Sid is being written waits for it, and finds the call`, async (t) => {
    const db = await migratedDatabase(t, engine)
    const call = await createCall(db, { customerId: 'C7', customerName: null, phone: '+919000000001', triggeredBy: 'sub' })
    const sid = 'd'.repeat(32)
    let commit!: () => void
    const committed = new Promise<void>((resolve) => { commit = resolve })
    let updated!: () => void
    const written = new Promise<void>((resolve) => { updated = resolve })
    const dialling = db.transaction(async (tx) => {
      await tx.query('UPDATE call SET exotel_sid = $2 WHERE id = $1', [call.id, sid])
      updated()
      await committed // not until the callback is under way
    })
    if (engine.name === 'postgres') await written // (PGlite runs one transaction at a time: the callback waits its turn)
    const callback = applyReport(db, { exotelSid: sid, customField: call.id }, { status: 'busy', source: 'exotel-callback', dedupeKey: 'callback:terminal' })
    await new Promise((resolve) => setTimeout(resolve, 100))
    commit()
    await dialling
    t.match(await callback, { changed: true, call: { status: 'busy', exotel_sid: sid } })
  })
}
