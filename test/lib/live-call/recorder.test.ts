import t from 'tap'
import { applyReport, createCall, getCall } from '../../../lib/calls/calls.js'
import { MAX_KEYS, MAX_TRANSCRIPT_LINES, startConversation } from '../../../lib/calls/conversation.js'
import { EVENTS_CHANNEL } from '../../../lib/calls/events.js'
import type { Database } from '../../../lib/db/database.js'
import { CallRecorder } from '../../../lib/live-call/recorder.js'
import { engines, migratedDatabase } from '../../helper.js'

/** The database, counting the statements the recorder sends it. */
function counted (db: Database) {
  const sent: string[] = []
  return { sent, db: { ...db, query: async (sql: string, params?: unknown[]) => { sent.push(sql); return await db.query(sql, params) } } as Database }
}

for (const engine of engines) {
  t.test(`${engine.name}: a turn's lines, keys and barge-ins are written together; anything else keeps its place`, async (t) => {
    const db = await migratedDatabase(t, engine)
    const call = await createCall(db, { customerId: 'REC1', customerName: null, phone: '+919000000001', triggeredBy: 'sub' })
    await applyReport(db, { id: call.id }, { status: 'in-progress', source: 'test', dedupeKey: 'answered' })
    const heard: Array<Record<string, unknown>> = []
    const unlisten = await db.listen(EVENTS_CHANNEL, (payload) => {
      const event = JSON.parse(payload)
      if (event.type === 'conversation') heard.push(event.conversation)
    })
    t.teardown(unlisten)
    const { sent, db: counting } = counted(db)
    const recorder = new CallRecorder(counting, () => {})
    recorder.callId = call.id
    recorder.start('scripted', 's1')
    recorder.conversation({ line: { speaker: 'caller', text: '(spoke)' } }) // a turn: both lines in one statement
    recorder.conversation({ line: { speaker: 'assistant', text: 'Press 1.' } })
    recorder.conversation({ bargeIn: true })
    recorder.conversation({ digit: '1' })
    recorder.conversation({ bargeIn: true })
    recorder.timeline('mark:m1', { mark: 'm1' }) // ends the gathering: what follows is written after it
    recorder.conversation({ line: { speaker: 'caller', text: '(pressed 2)' } })
    recorder.conversation({ digit: '2' })
    recorder.conversation({ outcome: { result: 'confirmed' } }) // written alone, in its place
    recorder.conversation({ line: { speaker: 'assistant', text: 'Thank you.' } })
    await recorder.settled()
    const updates = sent.filter((sql) => sql.includes('UPDATE call_conversation'))
    t.equal(updates.length, 5, 'five statements for nine changes (a second barge-in in one gathering would be announced once)')
    const conversation = (await getCall(db, call.id))!.conversation!
    t.same(conversation.transcript.map((line) => line.text), ['(spoke)', 'Press 1.', '(pressed 2)', 'Thank you.'], 'in order')
    t.ok(conversation.transcript.every((line) => typeof line.at === 'string'), 'each line with its time')
    t.match(conversation, { dtmf: '12', barge_ins: 2, outcome: 'confirmed' })
    t.ok((await getCall(db, call.id))!.events.some((event) => event.detail.mark === 'm1'), 'the mark between them')
    for (let i = 0; i < 50 && heard.length < 9; i++) await new Promise((resolve) => setTimeout(resolve, 20))
    t.same(heard.map((change) => Object.keys(change).filter((key) => key !== 'call_id' && key !== 'batch_id')[0]),
      ['line', 'line', 'bargeIn', 'digit', 'bargeIn', 'line', 'digit', 'outcome', 'line'], 'every change announced once, in order')
  })

  t.test(`${engine.name}: changes written together stop at the transcript's and the keys' limits`, async (t) => {
    const db = await migratedDatabase(t, engine)
    const call = await createCall(db, { customerId: 'REC2', customerName: null, phone: '+919000000002', triggeredBy: 'sub' })
    await startConversation(db, call.id, 'scripted', 's2')
    await db.query(
      `UPDATE call_conversation SET dtmf = repeat('9', ${MAX_KEYS - 1}),
         transcript = (SELECT jsonb_agg(jsonb_build_object('speaker', 'caller', 'text', 'x', 'at', now())) FROM generate_series(1, ${MAX_TRANSCRIPT_LINES - 1}))
       WHERE call_id = $1`, [call.id])
    const recorder = new CallRecorder(db, () => {})
    recorder.callId = call.id
    recorder.conversation({ line: { speaker: 'caller', text: 'one more' } })
    recorder.conversation({ line: { speaker: 'assistant', text: 'too many' } })
    recorder.conversation({ digit: '1' })
    recorder.conversation({ digit: '2' })
    await recorder.settled()
    const conversation = (await getCall(db, call.id))!.conversation!
    t.equal(conversation.transcript.length, MAX_TRANSCRIPT_LINES)
    t.equal(conversation.transcript.at(-1)!.text, 'one more', 'the first that fits is kept, the rest dropped')
    t.equal(conversation.dtmf, '9'.repeat(MAX_KEYS - 1) + '1')
  })
}
