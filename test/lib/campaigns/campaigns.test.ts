import t from 'tap'
import { paymentReminder } from '../../../lib/assistant/first-assistant.js'
import { unfilledChecker } from '../../../lib/assistant/preview.js'
import { createAssistant } from '../../../lib/assistant/store.js'
import type { OpenAIConfig } from '../../../schemas/assistants.js'
import { applyReport, createCall, followUpOutcome } from '../../../lib/calls/calls.js'
import { recordConversation, startConversation } from '../../../lib/calls/conversation.js'
import { windowOf } from '../../../lib/calling-rules/calling-window.js'
import { cancelCampaign, startNow, updateDraft } from '../../../lib/campaigns/campaigns.js'
import { clockTime, reasonOf, type CallNews } from '../../../lib/campaigns/reasons.js'
import { askedTime, decideNext, type CampaignRules, type EndedCall } from '../../../lib/campaigns/rules.js'
import { migratedDatabase } from '../../helper.js'

const RULES: CampaignRules = {
  retry: { on: ['busy', 'no-answer'], retries: 2, delay_seconds: 300 },
  follow_up: { delay_seconds: 7200, max: 1 },
  skip_final_within_days: 7
}
const NOW = new Date('2026-12-01T08:30:00Z') // 14:00 in Kolkata
const ended = (call: Partial<EndedCall>): EndedCall => ({
  status: 'completed', outcome: null, outcomeDetail: null, outcomeFlags: undefined, retries: 0, followUps: 0, ...call
})

t.test('what comes after a call: a retry, a follow-up, nothing, or a wait for the outcome', async (t) => {
  const cases: Array<[Partial<EndedCall>, unknown]> = [
    [{ status: 'busy' }, { next: 'retry', retry: 1, of: 2, at: new Date(NOW.getTime() + 300_000), because: 'busy' }],
    [{ status: 'no-answer', retries: 2 }, { next: 'none', why: 'no-answer: no retries left' }],
    [{ status: 'failed' }, { next: 'none', why: 'failed: not retried by this campaign' }],
    [{ status: 'canceled' }, { next: 'none', why: 'not dialled' }],
    [{}, { next: 'wait' }],
    [{ outcome: 'confirmed', outcomeFlags: { final: true } }, { next: 'none', why: 'confirmed: final' }],
    [{ outcome: 'no-response', outcomeFlags: { follow_up: true }, retries: 1 }, { next: 'retry', retry: 2, because: 'no-response' }],
    [{ outcome: 'hung-up' }, { next: 'none', why: 'hung-up' }],
    [{ outcome: 'machine', answeredBy: 'machine' }, { next: 'retry', retry: 1, because: 'machine' }],
    [{ outcome: 'hung-up', answeredBy: 'machine' }, { next: 'retry', retry: 1, because: 'machine' }], // spoken on to: not reached all the same
    [{ answeredBy: 'machine' }, { next: 'retry', because: 'machine' }], // no need to wait for the outcome
    [{ outcome: 'confirmed', outcomeFlags: { final: true }, answeredBy: 'machine' }, { next: 'none', why: 'confirmed: final' }],
    [{ outcome: 'hung-up', answeredBy: 'human' }, { next: 'none', why: 'hung-up' }],
    [{ outcome: 'callback', outcomeFlags: { follow_up: true } },
      { next: 'follow-up', followUp: 1, of: 1, asked: false, at: new Date(NOW.getTime() + 7_200_000) }],
    [{ outcome: 'callback', outcomeFlags: { follow_up: true }, outcomeDetail: { when: 'tomorrow', at: '2026-12-02T12:00:00+05:30' } },
      { next: 'follow-up', asked: true, at: new Date('2026-12-02T06:30:00Z') }],
    [{ outcome: 'callback', outcomeFlags: { follow_up: true }, followUps: 1 }, { next: 'none', why: 'callback: no follow-ups left' }]
  ]
  for (const [call, next] of cases) t.match(decideNext(RULES, ended(call), NOW), next, JSON.stringify(call))
  t.equal(askedTime({ at: '2026-11-30T12:00:00Z', n: 5, text: '2026-12-05' }, NOW), undefined, 'past, not text, no zone: not a time asked for')
  t.equal(askedTime(null, NOW), undefined)
  const openai = { language: 'en', instructions: 'Remind {{ name }}.', outcomes: [] } as unknown as OpenAIConfig
  t.same(unfilledChecker('openai', openai)({ id: 'X', name: null, phone: '+919000000000', attributes: {}, language: null }), [],
    'an OpenAI assistant with no first message says nothing as written')
})

t.test("a call's place in its campaign, in plain words, in the campaign's time zone", async (t) => {
  const news = (change: Partial<CallNews> = {}): CallNews => ({ outcome: null, next: null, deferredUntil: null, ...change })
  type Said = Parameters<typeof reasonOf>[0]
  const call: Said = { status: 'queued', skip_reason: null, error: null, not_before: NOW, follows: null }
  const later = new Date(NOW.getTime() + 3_600_000) // 15:00
  const say = (c: Partial<Said>, n = news(), paused = false) => reasonOf({ ...call, ...c }, n, RULES, 'Asia/Kolkata', paused, NOW)
  t.equal(say({}), 'waiting to be dialled')
  t.equal(say({}, news(), true), 'waiting: the campaign is paused')
  t.equal(say({ not_before: later }, news({ deferredUntil: later.toISOString() })), 'outside calling hours until 15:00')
  t.equal(say({ not_before: later, follows: 'retry' }), 'retry due at 15:00')
  t.equal(say({ not_before: later, follows: 'follow-up' }), 'follow-up due at 15:00')
  t.equal(say({ not_before: later }), 'scheduled for 15:00')
  t.equal(say({ status: 'ringing' }), 'ringing')
  t.equal(say({ status: 'in-progress' }), 'on the call')
  t.equal(say({ status: 'completed' }), 'answered; no outcome recorded')
  t.equal(say({ status: 'failed', error: 'Exotel refused the call' }), 'failed (Exotel refused the call)')
  t.equal(say({ status: 'no-answer' }), 'not answered: no retries left')
  t.equal(say({ status: 'busy' }, news({ next: { next: 'retry', n: 2, of: 2, at: later.toISOString() } })), 'busy: retry 2 of 2 at 15:00')
  t.equal(say({ status: 'canceled', skip_reason: 'outside-window' }), "not dialled before the campaign's end")
  t.equal(say({ status: 'canceled', skip_reason: 'attempt-cap' }), 'not dialled: called too often lately (the attempt cap)')
  t.equal(say({ status: 'canceled', skip_reason: 'recently-final' }), 'not dialled: already settled recently (e.g. confirmed)')
  t.equal(say({ status: 'canceled' }), 'not dialled: the campaign was canceled')
  t.equal(say({ status: 'canceled', skip_reason: 'in-progress' }), 'not dialled')
  t.equal(clockTime(new Date('2026-12-02T03:30:00Z'), 'Asia/Kolkata', NOW), '2 Dec 09:00', 'another day: with its date')
})

t.test('an outcome recorded after the call ended is followed up then, at the time the customer asked for, once', async (t) => {
  const db = await migratedDatabase(t)
  await createAssistant(db, { name: 'Reminder', kind: 'scripted', config: paymentReminder(5000), createdBy: 'sub', makeDefault: true })
  await db.query("INSERT INTO customer (id, name, phone) VALUES ('L1', 'Later', '+919000000205'), ('C1', 'Gone', '+919000000305')")
  const schedule = { window: windowOf('00:00-24:00', 'mon-sun', 'UTC') }
  const started = await startNow(db, 'sub', { name: 'Late', selection: { customer_ids: ['L1'] }, schedule, rules: RULES }, {})
  const { rows: [call] } = await db.query<{ id: string }>('SELECT id FROM call WHERE batch_id = $1', [started.id])
  await startConversation(db, call!.id, 'scripted', 'stream-1')
  await applyReport(db, { id: call!.id }, { status: 'completed', source: 'exotel-callback', dedupeKey: 'terminal' })
  const calls = async () => (await db.query<{ follows: string | null, not_before: Date, status: string }>(
    'SELECT follows, not_before, status FROM call WHERE customer_id = $1 ORDER BY attempt', ['L1'])).rows
  t.equal((await calls()).length, 1, 'no outcome yet: nothing decided')
  const asked = new Date(Date.now() + 86_400_000)
  await recordConversation(db, call!.id, { outcome: { result: 'callback', detail: { callback_at: asked.toISOString() } } })
  await followUpOutcome(db, call!.id)
  await followUpOutcome(db, call!.id)
  const after = await calls()
  t.equal(after.length, 2, 'one follow-up, however often the outcome is told')
  t.match(after[1], { follows: 'follow-up', status: 'queued' })
  t.equal(after[1]!.not_before.getTime(), asked.getTime(), 'at the time asked for')

  // A canceled campaign queues nothing more.
  const other = await startNow(db, 'sub', { name: 'Gone', selection: { customer_ids: ['C1'] }, schedule, rules: RULES }, {})
  const { rows: [gone] } = await db.query<{ id: string }>('SELECT id FROM call WHERE batch_id = $1', [other.id])
  await db.query("UPDATE call SET claimed_at = now(), status = 'initiated' WHERE id = $1", [gone!.id])
  await cancelCampaign(db, other.id)
  await applyReport(db, { id: gone!.id }, { status: 'busy', source: 'exotel-callback', dedupeKey: 'terminal' })
  t.equal((await db.query('SELECT 1 FROM call WHERE customer_id = $1', ['C1'])).rowCount, 1, 'no retry')
  t.equal(await updateDraft(db, '00000000-0000-4000-8000-000000000000', { name: 'X' }), undefined, 'no such campaign')

  // A customer called meanwhile (a single call going on): the follow-up is not queued beside it, and deciding again changes nothing.
  await db.query("INSERT INTO customer (id, name, phone) VALUES ('B2', 'Busy Line', '+919000000405')")
  const third = await startNow(db, 'sub', { name: 'Meanwhile', selection: { customer_ids: ['B2'] }, schedule, rules: RULES }, {})
  const { rows: [ended] } = await db.query<{ id: string }>('SELECT id FROM call WHERE batch_id = $1', [third.id])
  await startConversation(db, ended!.id, 'scripted', 'stream-3')
  await applyReport(db, { id: ended!.id }, { status: 'completed', source: 'exotel-callback', dedupeKey: 'terminal' })
  await createCall(db, { customerId: 'B2', customerName: 'Busy Line', phone: '+919000000405', triggeredBy: 'sub', claimed: true })
  await recordConversation(db, ended!.id, { outcome: { result: 'callback' } })
  await followUpOutcome(db, ended!.id)
  await followUpOutcome(db, ended!.id)
  t.equal((await db.query("SELECT 1 FROM call WHERE customer_id = 'B2'")).rowCount, 2, 'the campaign call and the single call: no follow-up')
  t.equal((await db.query("SELECT 1 FROM call_event WHERE call_id = $1 AND dedupe_key = 'next-attempt'", [ended!.id])).rowCount, 1, 'decided once')
})
