import t from 'tap'
import { applyReport, createCall } from '../../../lib/calls/calls.js'
import { closeLostConversations, conversationEnded, LOST_AFTER_MS } from '../../../lib/calls/completion.js'
import { recordConversation, startConversation } from '../../../lib/calls/conversation.js'
import type { Database } from '../../../lib/db/database.js'
import { newSecret } from '../../../lib/webhooks/webhooks.js'
import { CallCompletedEvent, CampaignFinishedEvent } from '../../../schemas/webhooks.js'
import { engines, migratedDatabase, schemaErrors } from '../../helper.js'

async function subscribed (db: Database) {
  await db.query("INSERT INTO webhook (url, events, secret, created_by) VALUES ('http://127.0.0.1:9/', '{call.completed,campaign.finished}', $1, 't')",
    [newSecret()])
  return async () => (await db.query<{ event: string, payload: { data: Record<string, unknown> } }>(
    'SELECT event, payload FROM webhook_delivery ORDER BY created_at, event')).rows
}

const end = (db: Database, callId: string, status: 'completed' | 'busy', key: string = status) =>
  applyReport(db, { id: callId }, { status, source: 'test', dedupeKey: key })

for (const engine of engines) {
  t.test(`${engine.name}: call.completed is written once, when both the final status and the conversation's end have come`, async (t) => {
    const db = await migratedDatabase(t, engine)
    const deliveries = await subscribed(db)

    // The stream stops first, then Exotel reports.
    const first = await createCall(db, { customerId: 'C1', customerName: 'Asha', phone: '+919000000100', triggeredBy: 'sub' })
    await startConversation(db, first.id, 'scripted', 'S1')
    await recordConversation(db, first.id, { line: { speaker: 'assistant', text: 'Namaste' } })
    await recordConversation(db, first.id, { outcome: { result: 'confirmed', detail: { digit: '1' } } })
    await recordConversation(db, first.id, { end: 'callended' })
    await conversationEnded(db, first.id, new Date())
    t.same(await deliveries(), [], 'not before Exotel says the call ended')
    await end(db, first.id, 'completed')
    await end(db, first.id, 'completed', 'again')
    const [completed] = await deliveries()
    t.same(schemaErrors(CallCompletedEvent, completed!.payload), [], 'as its schema says')
    t.match(completed!.payload.data, {
      call_id: first.id,
      customer_id: 'C1',
      name: 'Asha',
      phone: '+919000000100',
      campaign_id: null,
      status: 'completed',
      outcome: 'confirmed',
      outcome_fields: { digit: '1' },
      transcript: [{ speaker: 'assistant', text: 'Namaste' }],
      stop_reason: 'callended'
    })

    // Exotel reports first; the stream's end comes after.
    const second = await createCall(db, { customerId: 'C2', customerName: null, phone: '+919000000200', triggeredBy: 'sub' })
    await startConversation(db, second.id, 'scripted', 'S2')
    await end(db, second.id, 'completed')
    t.equal((await deliveries()).length, 1, 'the conversation is still being written')
    await recordConversation(db, second.id, { end: 'callended' })
    await conversationEnded(db, second.id, new Date())
    await conversationEnded(db, second.id, new Date())
    t.equal((await deliveries()).length, 2, 'once')

    // No conversation at all (busy): at Exotel's report.
    const third = await createCall(db, { customerId: 'C3', customerName: null, phone: '+919000000301', triggeredBy: 'sub' })
    await end(db, third.id, 'busy')
    t.match((await deliveries())[2], { event: 'call.completed', payload: { data: { call_id: third.id, status: 'busy', outcome: null, transcript: [] } } })
  })

  t.test(`${engine.name}: a conversation whose stream never said it stopped is closed as lost, and its call reported`, async (t) => {
    const db = await migratedDatabase(t, engine)
    const deliveries = await subscribed(db)
    const call = await createCall(db, { customerId: 'C1', customerName: null, phone: '+919000000100', triggeredBy: 'sub' })
    await startConversation(db, call.id, 'scripted', 'S1')
    await end(db, call.id, 'completed')
    t.equal(await closeLostConversations(db, new Date()), 0, 'not yet: its stream may still be writing')
    t.equal(await closeLostConversations(db, new Date(Date.now() + LOST_AFTER_MS + 1000)), 1)
    t.match(await deliveries(), [{ event: 'call.completed', payload: { data: { call_id: call.id, stop_reason: 'lost' } } }])
    t.equal(await closeLostConversations(db, new Date(Date.now() + LOST_AFTER_MS + 1000)), 0)
  })

  t.test(`${engine.name}: a campaign ends once, when its last calls end at the same moment`, async (t) => {
    const db = await migratedDatabase(t, engine)
    const deliveries = await subscribed(db)
    const { rows: [campaign] } = await db.query<{ id: string }>(
      `INSERT INTO campaign (name, created_by, started_at, total, rules, calling_window)
       VALUES ('Dues', 'sub', now(), 3, $1, '{}') RETURNING id`,
      [{ retry: { on: ['busy'], retries: 0, delay_seconds: 60 }, follow_up: { delay_seconds: 60, max: 0 }, skip_final_within_days: 0 }])
    const calls = []
    for (const customer of ['C1', 'C2', 'C3']) {
      calls.push(await createCall(db, { customerId: customer, customerName: null, phone: '+919000000100', triggeredBy: 'sub', batchId: campaign!.id }))
    }
    await end(db, calls[0]!.id, 'busy')
    t.equal((await deliveries()).length, 1, 'two calls to go')
    // On PostgreSQL these run at once, each in its own transaction: each must see the other's end.
    await Promise.all(calls.slice(1).map((call) => end(db, call.id, 'completed')))
    const finished = (await deliveries()).filter((delivery) => delivery.event === 'campaign.finished')
    t.equal(finished.length, 1, 'one campaign.finished')
    t.same(schemaErrors(CampaignFinishedEvent, finished[0]!.payload), [], 'as its schema says')
    t.match(finished[0]!.payload.data, { campaign_id: campaign!.id, name: 'Dues', status: 'finished', counts: { busy: 1, completed: 2 } })
  })
}
