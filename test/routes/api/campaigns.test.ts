import t from 'tap'
import { appWithCustomers, FAST_CALLS, says, scriptedConfig, testClock, until } from '../../helper.js'

// Customers by what the simulator does with their number (last digit): 9 presses 1 (confirmed), 5 presses 2
// (callback), 6 stays silent (no-response), 1 is busy. DNC is on the do-not-call list; NOAMT has no amount.
const CSV = 'customer_id,name,phone,Amount Due\n' +
  'OK1,Asha Rao,9000000109,1200\n' +
  'LATER,Meena Later,9000000205,50\n' +
  'SILENT,Quiet One,9000000306,10\n' +
  'BUSY,Busy Bee,9000000401,5\n' +
  'DNC,Do Not,9000000509,7\n' +
  'NOAMT,No Amount,9000000609,\n'

const REMINDER = {
  name: 'Dues',
  kind: 'scripted',
  config: scriptedConfig({
    greeting: says('Hello {{ first_name }}, you owe {{ amount_due | rupees }}. Press 1 if paid, 2 for a call back.'),
    choices: [
      { key: '1', outcome: 'confirmed', reply: says('Thank you.') },
      { key: '2', outcome: 'callback', reply: says('We will call you back.') }
    ],
    spoke_instead: says('Please press 1 or 2.'),
    invalid_key: says('Please press 1 or 2.'),
    no_reply: says('Press 1 or 2.'),
    retries: 1,
    reply_timeout_seconds: 0.2,
    outcomes: [{ name: 'confirmed', final: true }, { name: 'callback', follow_up: true }]
  })
}

// The clock moves hours ahead: calls in flight must not look overdue to the sweeps.
async function campaignApp (t: Parameters<typeof appWithCustomers>[0]) {
  const clock = testClock()
  const app = await appWithCustomers(t, { ...FAST_CALLS, CALLS_PER_MINUTE: '200', CALL_RETRIES: '0', CALL_TIMEOUT_SECONDS: '86400', RECONCILE_AFTER_SECONDS: '86400' }, CSV, { clock: clock.now })
  const json = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: object) => {
    const reply = await app.app.inject({ method, url, payload: body, headers: { authorization: app.authorization } })
    return { status: reply.statusCode, body: reply.json() }
  }
  return { ...app, clock, json }
}

t.test('a campaign from draft to results: previewed, started with its fingerprint, paused, resumed, retried and followed up', async (t) => {
  const { json, clock, app, authorization } = await campaignApp(t)
  const assistant = (await json('POST', '/api/assistants', REMINDER)).body.assistant
  t.equal((await json('POST', '/api/suppressions', { phones: ['+919000000509'] })).status, 201)

  // Refused: no customers; an archived assistant; a window that never opens before the end.
  const nobody = await json('POST', '/api/campaigns', { name: 'Empty' })
  t.same(nobody, { status: 400, body: { success: false, message: 'A campaign needs customers: give customer_ids, or a filter ({} for every customer)' } })
  const old = (await json('POST', '/api/assistants', { ...REMINDER, name: 'Old' })).body.assistant
  await json('DELETE', `/api/assistants/${old.id as string}`)
  t.same(await json('POST', '/api/campaigns', { name: 'Old', filter: {}, assistant_id: old.id }),
    { status: 409, body: { success: false, message: 'This assistant is archived: choose another' } })
  const tomorrow = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][(new Date().getUTCDay() + 1) % 7]
  const never = await json('POST', '/api/campaigns', {
    name: 'Never', filter: {}, calling_window: { timezone: 'UTC', days: [tomorrow], hours: ['00:00-24:00'] }, end_at: new Date(Date.now() + 60_000).toISOString()
  })
  t.match(never, { status: 400, body: { success: false, message: /does not open before end_at/ } })
  t.equal((await json('GET', '/api/campaigns')).body.total, 0, 'nothing saved by a refused request')

  const made = await json('POST', '/api/campaigns', {
    name: 'December dues',
    assistant_id: assistant.id,
    filter: {},
    rules: { retry: { on: ['busy', 'no-answer'], retries: 1, delay_seconds: 600 }, follow_up: { delay_seconds: 3600, max: 1 } }
  })
  t.equal(made.status, 201)
  const id = made.body.campaign.id as string
  t.match(made.body.campaign, {
    name: 'December dues',
    status: 'draft',
    filter: {},
    customer_count: null,
    assistant_id: assistant.id,
    started_at: null,
    rules: { retry: { on: ['busy', 'no-answer'], retries: 1, delay_seconds: 600 }, follow_up: { delay_seconds: 3600, max: 1 }, skip_final_within_days: 7 }
  })
  t.match((await json('GET', '/api/calls')).body, { total: 0 }, 'a draft dials nobody')
  t.equal((await json('GET', '/api/batches')).body.total, 0, 'a draft is not a batch yet')

  // The preview: who would be dialled and skipped, and why; what the first customers will hear.
  const preview = await json('GET', `/api/campaigns/${id}/preview`)
  t.equal(preview.status, 200)
  t.match(preview.body, {
    would_dial: 4,
    would_skip: 2,
    skipped_by_reason: { suppressed: 1, 'missing-field': 1 },
    assistant: { id: assistant.id, version: 1, name: 'Dues' },
    total: 6,
    message: /^Would dial 4 and skip 2, from /
  })
  t.same(preview.body.calls.map((call: { customer_id: string, action: string, reason: string | null }) => `${call.customer_id}:${call.action}:${call.reason}`),
    ['OK1:dial:null', 'LATER:dial:null', 'SILENT:dial:null', 'BUSY:dial:null', 'DNC:skip:suppressed', 'NOAMT:skip:missing-field'])
  t.match(preview.body.calls[5], { name: 'No Amount', missing: ['amount_due'] })
  t.same(preview.body.greetings[0], {
    customer_id: 'OK1', name: 'Asha Rao', language: 'en', text: 'Hello Asha, you owe 1200 rupees. Press 1 if paid, 2 for a call back.'
  })
  t.equal(preview.body.greetings.length, 3)
  t.equal((await json('GET', `/api/campaigns/${id}/preview?limit=2&offset=4`)).body.calls.length, 2, 'the list pages')

  // Nobody is dialled by a request that did not see who would be.
  const blind = await json('POST', `/api/campaigns/${id}/start`, {})
  t.match(blind, { status: 400, body: { success: false, message: /fingerprint/ } })
  await json('POST', '/api/suppressions', { phones: ['+919000000401'] })
  const stale = await json('POST', `/api/campaigns/${id}/start`, { fingerprint: preview.body.fingerprint })
  t.match(stale, { status: 409, body: { success: false, message: /^Who would be called has changed since the preview: it would now dial 3 and skip 3\./ } })
  await json('DELETE', '/api/suppressions?phone=%2B919000000401')
  t.equal((await json('GET', `/api/campaigns/${id}/preview`)).body.fingerprint, preview.body.fingerprint, 'the same selection, the same fingerprint')
  t.equal((await json('GET', '/api/calls')).body.total, 0, 'still nobody dialled')

  const renamed = await json('PATCH', `/api/campaigns/${id}`, { name: 'December dues, week 1' })
  t.match(renamed, { status: 200, body: { campaign: { name: 'December dues, week 1', status: 'draft' } } })

  const started = await json('POST', `/api/campaigns/${id}/start`, { fingerprint: preview.body.fingerprint })
  t.equal(started.status, 202)
  t.match(started.body, { queued: 4, skipped_by_reason: { suppressed: 1, 'missing-field': 1 }, campaign: { assistant_version: 1, total: 4 } })
  const paused = await json('POST', `/api/campaigns/${id}/pause`)
  t.match(paused, { status: 200, body: { message: 'Campaign paused', campaign: { status: 'paused' } } })
  const claimed = async () => (await app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM call WHERE claimed_at IS NOT NULL')).rows[0]!.n
  const claimedAtPause = await claimed()
  await new Promise((resolve) => setTimeout(resolve, 1000))
  t.equal(await claimed(), claimedAtPause, 'nothing more claimed while paused')
  t.match(await json('PATCH', `/api/campaigns/${id}`, { name: 'Too late' }),
    { status: 409, body: { success: false, message: 'Only a draft can be changed: this campaign is started' } })
  t.match(await json('POST', `/api/campaigns/${id}/start`, { fingerprint: preview.body.fingerprint }),
    { status: 409, body: { message: 'This campaign has already started' } })
  t.match(await json('POST', `/api/campaigns/${id}/resume`), { status: 200, body: { campaign: { status: /running|finished/ } } })

  // Every first attempt ends: confirmed, a callback, no response, busy.
  const callsOf = async () => (await json('GET', `/api/campaigns/${id}/calls?limit=50`)).body.calls as Array<Record<string, unknown>>
  const reasons = async () => Object.fromEntries((await callsOf()).filter((call) => call.attempt === 1).map((call) => [call.customer_id, call.reason]))
  await until(async () => (await callsOf()).filter((call) => call.attempt === 2).length === 3, 'a retry, a no-response retry and a follow-up queued')
  const first = await reasons()
  t.equal(first.OK1, 'confirmed')
  // A time on another day than today (in the calling window's timezone) comes with its date: "at 3 Dec 00:13".
  t.match(first.LATER, /^callback: follow-up 1 of 1 at (\d+ \w{3} )?\d\d:\d\d$/)
  t.match(first.SILENT, /^no-response: retry 1 of 1 at (\d+ \w{3} )?\d\d:\d\d$/)
  t.match(first.BUSY, /^busy: retry 1 of 1 at (\d+ \w{3} )?\d\d:\d\d$/)
  t.equal(first.DNC, 'on the do-not-call list')
  t.equal(first.NOAMT, 'not dialled: missing a detail the assistant says')
  const waiting = (await callsOf()).filter((call) => call.status === 'queued')
  t.same(waiting.map((call) => `${call.customer_id as string}:${(call.reason as string).replace(/(\d+ \w{3} )?\d\d:\d\d$/, 'HH:MM')}`).sort(),
    ['BUSY:retry due at HH:MM', 'LATER:follow-up due at HH:MM', 'SILENT:retry due at HH:MM'])
  const later = waiting.find((call) => call.customer_id === 'LATER')!
  t.ok(Date.parse(later.not_before as string) > Date.now() + 3500_000, 'the follow-up an hour on, as the rules say')
  t.match((await json('GET', `/api/campaigns/${id}`)).body.campaign, { status: 'running', retries: 2, follow_ups: 1, outcomes: { confirmed: 1 } })

  // Ten minutes on, the retries; an hour on, the follow-up. Then nothing more: no tries left.
  clock.advance(601_000)
  await until(async () => (await callsOf()).filter((call) => call.attempt === 2 && ['busy', 'completed'].includes(call.status as string)).length === 2, 'the retries')
  clock.advance(3000_000)
  await until(async () => (await json('GET', `/api/campaigns/${id}`)).body.campaign.status === 'finished', 'the campaign to finish')
  const done = (await json('GET', `/api/campaigns/${id}`)).body.campaign
  t.match(done, {
    status: 'finished',
    total: 4,
    done: 6,
    retries: 2,
    follow_ups: 1,
    outcomes: { confirmed: 1, callback: 1, 'no-response': 1 },
    counts: { completed: 3, busy: 1, canceled: 2 },
    analytics: { calls: 9, dialled: 7, answered: 5 }
  })
  const last = Object.fromEntries((await callsOf()).filter((call) => call.attempt === 2).map((call) => [call.customer_id, call.reason]))
  t.same(last, { BUSY: 'busy: no retries left', SILENT: 'no-response', LATER: 'callback' })
  const busyCalls = (await json('GET', '/api/calls?customer_id=BUSY')).body.calls
  t.same(busyCalls.map((call: { reason: string }) => call.reason), ['busy: no retries left', first.BUSY],
    'GET /api/calls says the same')
  t.equal((await json('GET', `/api/calls/${busyCalls[0].id as string}`)).body.call.reason, 'busy: no retries left', 'and so does a call')
  t.match(await json('POST', `/api/campaigns/${id}/pause`),
    { status: 409, body: { success: false, message: 'Only a running or scheduled campaign can be paused: this one is finished' } })
  t.match(await json('POST', `/api/campaigns/${id}/cancel`), { status: 409 })
  t.match((await json('GET', `/api/batches/${id}`)).body.batch, { status: 'finished', total: 4 }, 'a started campaign is a batch too')

  // Everything kept about a customer, for a person who asks.
  const exported = await app.inject({ url: '/api/customers/LATER/export', headers: { authorization } })
  t.equal(exported.headers['content-disposition'], 'attachment; filename="customer-LATER.json"')
  const record = exported.json()
  t.match(record, { customer: { id: 'LATER', phone: '+919000000205', attributes: { 'Amount Due': '50' } }, suppression: null })
  t.same(record.calls.map((call: { attempt: number, conversation: { outcome: string } }) => `${call.attempt}:${call.conversation.outcome}`), ['1:callback', '2:callback'])
  t.match(record.calls[0].conversation.transcript[0], { speaker: 'assistant', text: /^Hello Meena, you owe 50 rupees/ })
  t.ok(record.calls[0].events.length > 3, 'with each call\'s timeline')
  const dnc = (await app.inject({ url: '/api/customers/DNC/export', headers: { authorization } })).json()
  t.match(dnc, { suppression: { phone: '+919000000509' }, calls: [{ status: 'canceled', skip_reason: 'suppressed' }] })
  t.equal((await app.inject({ url: '/api/customers/NOBODY/export', headers: { authorization } })).statusCode, 404)

  // Customers by what came of their last call; the next campaign leaves the customer who confirmed alone.
  const byOutcome = async (outcome: string) => (await json('GET', `/api/customers?last_outcome=${outcome}`)).body.customers.map((customer: { id: string }) => customer.id)
  t.same(await byOutcome('confirmed'), ['OK1'])
  t.same(await byOutcome('none'), ['BUSY', 'DNC', 'NOAMT'])
  const callbacks = (await json('POST', '/api/campaigns', { name: 'Call backs', filter: { last_outcome: 'callback' } })).body.campaign
  t.match((await json('GET', `/api/campaigns/${callbacks.id as string}/preview`)).body, { total: 1, calls: [{ customer_id: 'LATER' }] })
  const next = (await json('POST', '/api/campaigns', { name: 'December dues, week 2', assistant_id: assistant.id, customer_ids: ['OK1', 'LATER', 'NOBODY'] })).body.campaign
  t.equal(next.customer_count, 3)
  const again = (await json('GET', `/api/campaigns/${next.id as string}/preview`)).body
  t.match(again, { would_dial: 1, skipped_by_reason: { 'recently-final': 1, 'not-found': 1 } })
  const list = (await json('GET', '/api/campaigns')).body
  t.same(list.campaigns.map((campaign: { name: string, status: string }) => `${campaign.name}:${campaign.status}`),
    ['December dues, week 2:draft', 'Call backs:draft', 'December dues, week 1:finished'])
  const canceled = await json('POST', `/api/campaigns/${next.id as string}/cancel`)
  t.match(canceled, { status: 200, body: { canceled: 0, campaign: { status: 'canceled' } } })
  t.match(await json('GET', `/api/campaigns/${next.id as string}/preview`), { status: 409, body: { message: 'Only a draft has a preview: this campaign is canceled' } })
  t.match(await json('GET', `/api/campaigns/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`), { status: 404, body: { message: 'Campaign not found' } })
})

t.test('a campaign scheduled ahead waits for its start; canceled, its calls are never dialled', async (t) => {
  const { json } = await campaignApp(t)
  const startAt = new Date(Date.now() + 3_600_000).toISOString()
  const made = (await json('POST', '/api/campaigns', { name: 'Tonight', customer_ids: ['OK1', 'LATER'], start_at: startAt })).body.campaign
  t.match(made, { start_at: startAt, customer_count: 2 })
  const moved = await json('PATCH', `/api/campaigns/${made.id as string}`, { end_at: new Date(Date.now() + 7_200_000).toISOString(), assistant_id: null })
  t.match(moved.body.campaign, { start_at: startAt, end_at: /Z$/ })
  const { fingerprint, first_dial_at: firstDial } = (await json('GET', `/api/campaigns/${made.id as string}/preview`)).body
  t.equal(firstDial, startAt)
  const started = await json('POST', `/api/campaigns/${made.id as string}/start`, { fingerprint })
  t.match(started.body, { message: `Started: 2 customers to call, from ${startAt}`, campaign: { status: 'scheduled', next_dial_at: startAt } })
  const canceled = await json('POST', `/api/campaigns/${made.id as string}/cancel`)
  t.match(canceled.body, { canceled: 2, campaign: { status: 'canceled', counts: { canceled: 2 } }, message: 'Campaign canceled: 2 calls not yet dialled were canceled' })
  const calls = (await json('GET', `/api/campaigns/${made.id as string}/calls`)).body
  t.same(calls.calls.map((call: { reason: string }) => call.reason), ['not dialled: the campaign was canceled', 'not dialled: the campaign was canceled'])
  t.match(await json('POST', `/api/campaigns/${made.id as string}/resume`), { status: 409, body: { message: 'Only a paused campaign can be resumed: this one is canceled' } })
})

t.test('a draft changed bit by bit; unknown campaigns, and selections given twice, are refused', async (t) => {
  const { json } = await campaignApp(t)
  const both = await json('POST', '/api/campaigns', { name: 'Both', customer_ids: ['OK1'], filter: {} })
  t.same(both, { status: 400, body: { success: false, message: 'Give customer_ids or a filter, not both' } })
  const draft = (await json('POST', '/api/campaigns', { name: 'Bits', customer_ids: ['OK1'], start_at: new Date(Date.now() + 3_600_000).toISOString() })).body.campaign
  const id = draft.id as string
  const assistant = (await json('POST', '/api/assistants', REMINDER)).body.assistant
  const changed = await json('PATCH', `/api/campaigns/${id}`, {
    start_at: null, filter: { upload_id: draft.id }, rules: { follow_up: { delay_seconds: 60, max: 2 } }, assistant_id: assistant.id
  })
  t.match(changed.body.campaign, {
    start_at: null,
    filter: { upload_id: id },
    customer_count: null,
    assistant_id: assistant.id,
    assistant_version: 1,
    rules: { follow_up: { delay_seconds: 60, max: 2 }, retry: { retries: 0 }, skip_final_within_days: 7 }
  })
  t.match((await json('PATCH', `/api/campaigns/${id}`, { customer_ids: ['OK1', 'OK1', 'LATER'] })).body.campaign, { customer_count: 2, filter: null })
  t.match(await json('PATCH', `/api/campaigns/${id}`, {}), { status: 400 })
  await json('POST', `/api/campaigns/${id}/cancel`)
  t.match(await json('PATCH', `/api/campaigns/${id}`, { name: 'Again' }),
    { status: 409, body: { message: 'Only a draft can be changed: this campaign is canceled' } })
  t.match(await json('POST', `/api/campaigns/${id}/start`, { fingerprint: 'x' }), { status: 409, body: { message: 'This campaign has already been canceled' } })
  t.match(await json('POST', `/api/batches/${id}/cancel`), { status: 404, body: { message: 'Batch not found' } }, 'a campaign never started is no batch')
  const single = await json('POST', '/api/trigger-single-call', { customer_id: 'BUSY' })
  await until(async () => (await json('GET', `/api/calls/${single.body.call.id as string}`)).body.call.status === 'busy', 'the single call to end')
  t.equal((await json('GET', `/api/calls/${single.body.call.id as string}`)).body.call.reason, 'busy', 'a single call is not retried')
  const unknown = '00000000-0000-4000-8000-000000000000'
  for (const [method, url, body] of [
    ['PATCH', `/api/campaigns/${unknown}`, { name: 'X' }],
    ['GET', `/api/campaigns/${unknown}/preview`],
    ['GET', `/api/campaigns/${unknown}/calls`],
    ['POST', `/api/campaigns/${unknown}/start`, { fingerprint: 'x' }],
    ['POST', `/api/campaigns/${unknown}/pause`],
    ['POST', `/api/campaigns/${unknown}/resume`],
    ['POST', `/api/campaigns/${unknown}/cancel`]
  ] as const) {
    t.same(await json(method, url, body), { status: 404, body: { success: false, message: 'Campaign not found' } }, `${method} ${url}`)
  }
})
