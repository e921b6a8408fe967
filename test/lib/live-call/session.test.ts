import t from 'tap'
import type { Assistant, AssistantOutput } from '../../../lib/assistant/assistant.js'
import { applyReport, createCall, getCall } from '../../../lib/calls/calls.js'
import { exotelMediaStream } from '../../../lib/exotel/media-stream.js'
import { MediaSession } from '../../../lib/live-call/session.js'
import { databaseCallStore, type CallStore } from '../../../lib/live-call/call-store.js'
import { build } from '../../helper.js'

const app = await build(t)
let calls = 0

/** A media session on a dialled call, with an assistant that hands its output to the test. */
async function session (jti?: string, recordAudio?: CallStore['recordAudio'], store: Partial<CallStore> = {}) {
  const customerId = `SESSION${++calls}`
  await app.db.query("INSERT INTO customer (id, name, phone, attributes) VALUES ($1, 'Sam', '+919000000000', '{\"due\": 5}')", [customerId])
  const call = await createCall(app.db, { customerId, customerName: 'Sam', phone: '+919000000000', triggeredBy: 's', claimed: true })
  const callSid = `${calls}`.padStart(32, 'c')
  await applyReport(app.db, { id: call.id }, { status: 'initiated', source: 'api', dedupeKey: 'dialled', exotelSid: callSid })
  const seen = { started: 0, ended: [] as string[], marks: [] as string[], digits: [] as string[], output: undefined as AssistantOutput | undefined, context: undefined as unknown }
  const assistant: Assistant = {
    name: 'fake',
    start (context, output) {
      seen.started++
      seen.output = output
      seen.context = context
      return { audio () {}, dtmf: (digit) => { seen.digits.push(digit) }, marked: (name) => { seen.marks.push(name) }, end: (reason) => { seen.ended.push(reason) } }
    }
  }
  const sent: string[] = []
  const logs: string[] = []
  let closed = 0
  const media = new MediaSession({
    store: { ...databaseCallStore(app.db), ...recordAudio ? { recordAudio } : {}, ...store },
    grant: { callId: call.id, callSid, jti: jti ?? `j${calls}`, expiresAt: Date.now() + 60_000 },
    protocol: exotelMediaStream,
    assistantFor: async () => assistant,
    send: (frame) => sent.push(JSON.parse(frame).event),
    close: () => { closed++ },
    aheadMs: 60_000,
    log: (message) => logs.push(message)
  })
  const streamSid = `${calls}`.padStart(32, 's')
  const message = (event: string, body: object = {}) => JSON.stringify({ event, stream_sid: streamSid, ...body })
  const start = message('start', { start: { call_sid: callSid, media_format: { encoding: 'audio/x-raw', sample_rate: '8000' } } })
  return { media, seen, sent, logs, closed: () => closed, message, start, callId: call.id }
}

t.test('frames and an end that arrive while the stream starts wait for it, in order', async (t) => {
  const { media, seen, start, message, callId } = await session()
  media.handle(start)
  media.handle(message('dtmf', { dtmf: { digit: '4' } }))
  media.end('callended')
  media.end('again')
  t.equal(seen.started, 0, 'the call is being looked up')
  await media.settled()
  t.equal(seen.started, 1)
  t.same(seen.digits, ['4'])
  t.same(seen.ended, ['callended'])
  t.match((await getCall(app.db, callId))!.conversation, { assistant: 'fake', dtmf: '4', stop_reason: 'callended', ended_at: Date })
})

t.test('what arrives while the stream starts is dated on the timeline when it arrived, not when it is written', async (t) => {
  // The token's claim is slow (a loaded database): Exotel's next callbacks may be recorded before the stream's.
  let claim!: () => void
  const slow = new Promise<void>((resolve) => { claim = resolve })
  const { media, start, message, callId } = await session(undefined, undefined, {
    claimToken: async (grant) => { await slow; return await databaseCallStore(app.db).claimToken(grant) }
  })
  const before = Date.now()
  media.handle(start)
  media.handle(message('dtmf', { dtmf: { digit: '4' } }))
  media.handle(message('stop', { stop: { reason: 'callended' } }))
  const after = Date.now()
  await new Promise((resolve) => setTimeout(resolve, 500))
  claim()
  await media.settled()
  const entries = (await getCall(app.db, callId))!.events.filter((event) => event.source === 'media-stream')
  t.equal(entries.length, 3)
  t.match(entries, [{ detail: { encoding: 'pcm16' } }, { detail: { digit: '4' } }, { detail: { reason: 'callended' } }], 'the start, the key, the stop')
  t.same(entries.filter((event) => new Date(event.created_at).getTime() < before || new Date(event.created_at).getTime() > after), [],
    'each dated when its frame arrived, though written half a second later')
})

t.test('a start that fails is logged; the stream goes on without an assistant', async (t) => {
  const { media, seen, logs, start, message, callId } = await session()
  await app.db.exec('ALTER TABLE customer RENAME TO customer_away')
  media.handle(start)
  await media.settled()
  await app.db.exec('ALTER TABLE customer_away RENAME TO customer')
  t.ok(logs.includes('media stream: the stream could not start'))
  media.handle(message('dtmf', { dtmf: { digit: '1' } }))
  media.end('stopped')
  await media.settled()
  t.equal(seen.started, 0)
  t.match((await getCall(app.db, callId))!.conversation, { dtmf: '1', stop_reason: 'stopped' })
})

t.test('messages outside the stream are skipped and logged', async (t) => {
  const { media, seen, logs, message, start } = await session()
  media.handle(message('dtmf', { dtmf: { digit: '1' } }))
  media.handle(start)
  media.handle(start)
  media.handle(JSON.stringify({ event: 'media', stream_sid: 'other', media: { payload: 'AAAA' } }))
  await media.settled()
  t.equal(seen.started, 1)
  t.match(seen.context, { customer: { name: 'Sam', phone: '+919000000000', language: null, attributes: { due: 5 } } })
  t.same(logs, [
    'media stream: dtmf outside the stream, skipped',
    'media stream: start for another call, for a call we do not know, or a second start, skipped',
    'media stream: media outside the stream, skipped'
  ])
  media.end('stopped')
  media.handle(message('dtmf', { dtmf: { digit: '1' } }))
  t.same(seen.digits, [], 'nothing after the end')
})

t.test('the assistant\'s output: barge-in, problems and lines recorded; hang-up closes once the last words played', async (t) => {
  const { media, seen, sent, logs, closed, message, start, callId } = await session()
  media.handle(start)
  await media.settled()
  const output = seen.output!
  output.play(Buffer.alloc(1600))
  t.equal(output.unplayedMs, 100, 'half a frame waits')
  output.flush()
  t.same(sent, ['media'], 'sent, padded')
  output.clear()
  output.transcript('caller', 'hello')
  output.problem('something went wrong')
  output.log('an ordinary event of the AI service') // logged only
  output.outcome({ result: 'odd', detail: { big: 10n } }) // cannot be written: logged, and the next write goes on
  output.outcome({ result: 'done' })
  output.hangUp()
  output.hangUp()
  t.same(sent, ['media', 'clear', 'mark'])
  t.equal(output.unplayedMs, 0)
  media.handle(message('mark', { mark: { name: 'other' } }))
  t.same(seen.marks, ['other'])
  t.equal(closed(), 0)
  media.handle(message('mark', { mark: { name: 'hang-up' } }))
  t.equal(closed(), 1, 'closed when the hang-up mark came back')
  await media.settled()
  t.match((await getCall(app.db, callId))!.conversation, {
    barge_ins: 1,
    problem: 'something went wrong',
    outcome: 'done',
    transcript: [{ speaker: 'caller', text: 'hello' }],
    stop_reason: 'hung up by the assistant'
  })
  t.ok(logs.includes('media stream: assistant problem'))
  t.ok(logs.includes('media stream: assistant'), 'the assistant\'s note is logged, not kept as the problem')
  t.ok(logs.includes('media stream: a change could not be recorded'))
  media.end('stream closed')
  output.hangUp()
  t.same(seen.ended, ['hung up by the assistant'], 'the close that follows changes nothing')
})

t.test("a deleted customer's call still gets its assistant, with what the call kept", async (t) => {
  const { media, seen, start } = await session()
  await app.db.query('DELETE FROM customer WHERE id = $1', [`SESSION${calls}`])
  media.handle(start)
  await media.settled()
  t.match(seen.context, { customer: { id: `SESSION${calls}`, name: 'Sam', phone: '+919000000000', attributes: {} } })
  media.end('stopped')
})

t.test('a hang-up whose mark never comes back closes the stream anyway', async (t) => {
  const { media, seen, closed, start } = await session()
  media.handle(start)
  await media.settled()
  seen.output!.hangUp()
  await new Promise((resolve) => setTimeout(resolve, 2100))
  t.equal(closed(), 1)
  media.end('stream closed')
})

t.test('a token used before is refused: the stream is closed and nothing it sends is read', async (t) => {
  const first = await session('used-once')
  await first.media.settled()
  const second = await session('used-once')
  second.media.handle(second.start) // while the token is being claimed
  await second.media.settled()
  second.media.handle(second.start) // after it was refused
  await second.media.settled()
  t.equal(second.closed(), 1)
  t.equal(second.seen.started, 0, 'no assistant for a refused stream')
  t.ok(second.logs.includes('media stream refused: token already used'))
  first.media.end('stopped')
})

t.test('a recording that cannot start leaves the call unrecorded; one that cannot finish is logged', async (t) => {
  const refused = await session(undefined, async () => { throw new Error('disk full') })
  refused.media.handle(refused.start)
  refused.media.end('callended')
  await refused.media.settled()
  t.ok(refused.logs.includes('media stream: the call could not be recorded'))
  t.equal(refused.seen.started, 1, 'the call goes on, with its assistant')

  const fed: string[] = []
  const broken = await session(undefined, async () => ({
    caller: () => { fed.push('caller') },
    assistant: () => { fed.push('assistant') },
    clear: () => { fed.push('clear') },
    finish: async () => { throw new Error('disk gone') }
  }))
  broken.media.handle(broken.start)
  await broken.media.settled()
  broken.media.handle(broken.message('media', { media: { chunk: '1', timestamp: '100', payload: Buffer.alloc(320).toString('base64') } }))
  broken.seen.output!.play(Buffer.alloc(3200))
  broken.seen.output!.clear()
  broken.media.end('callended')
  await broken.media.settled()
  t.same(fed, ['caller', 'assistant', 'clear'], 'the customer, the assistant and a barge-in reach the recording')
  t.ok(broken.logs.includes('media stream: the recording could not be finished'))
})
