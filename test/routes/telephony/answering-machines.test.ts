import t from 'tap'
import { appWithCustomers, ANY_HOUR, FAST_CALLS, says, scriptedConfig, until } from '../../helper.js'

/**
 * Who answered, on the simulator: a voicemail (its greeting, a beep), a network message (its tones, its words, the
 * line drops), an IVR menu, and a person who says "hello?" first (numbers ending 77, 87, 97 and 70). Each assistant
 * says what to do with a machine: speak on, leave a message, or hang up.
 */
const CSV = 'customer_id,name,phone\nVOICEMAIL,Vani Mail,9000000077\nNETWORK,Net Work,9000000087\nIVR,Ivy Menu,9000000097\n' +
  'PERSON,Asha Rao,9000000070\n'

const { app, post, get } = await appWithCustomers(t, { ...FAST_CALLS, ...ANY_HOUR }, CSV)
const assistant = async (onMachine: Record<string, unknown>) => {
  const made = await post('/api/assistants', { name: `On machines: ${String(onMachine.on_machine)}`, kind: 'scripted', config: scriptedConfig(onMachine) })
  return made.json().assistant.id as string
}
const hangsUp = await assistant({ on_machine: 'hang-up' })
const leaves = await assistant({ on_machine: 'leave-message', machine_message: says('Hello {{ first_name }}, please call us back about your payment.') })

async function called (customer: string, assistantId: string) {
  const started = await post('/api/trigger-single-call', { customer_id: customer, assistant_id: assistantId })
  t.equal(started.statusCode, 200, `${customer} called`)
  let call: Record<string, any> = {}
  await until(async () => {
    call = (await get(`/api/calls/${started.json().call.id as string}`)).json().call
    return call.status === 'completed' && call.conversation?.ended_at
  }, `the call to ${customer} ends`)
  const told = call.events.filter((event: { detail: Record<string, unknown> }) => 'answered_by' in event.detail)
  return { call, told, simulated: app.telephony.simulator!.calls.get(call.exotel_sid)! }
}

t.test('hang-up: a voicemail is told from its long greeting, and the assistant hangs up without a word more', async (t) => {
  const { call, told, simulated } = await called('VOICEMAIL', hangsUp)
  t.equal(call.answered_by, 'machine', 'kept on the call (Exotel said it was not sure)')
  t.match(told, [{ source: 'media-stream', detail: { answered_by: 'machine', cue: 'long-greeting', ms: Number } }], 'on its timeline, once')
  t.ok(told[0].detail.ms <= 3000, `told within 3 s (${told[0].detail.ms as number} ms)`)
  t.match(call.conversation, { outcome: 'machine', outcome_detail: { left_message: false }, stop_reason: 'answering machine: hung up' })
  t.equal(simulated.bot.clears, 1, 'the greeting it had begun was cut')
  t.same(simulated.caller.digits, [])
})

t.test('leave-message: after the voicemail\'s beep the assistant says its message in its own voice, then hangs up', async (t) => {
  const { call, simulated } = await called('VOICEMAIL', leaves)
  t.match(call.conversation, { outcome: 'machine', outcome_detail: { left_message: true }, stop_reason: 'hung up by the assistant' })
  t.same(call.conversation.transcript.map((line: { speaker: string, text: string }) => `${line.speaker}: ${line.text}`), [
    'assistant: Hello Vani, your payment is due. Press 1 to confirm.',
    'assistant: Hello Vani, please call us back about your payment.'
  ], 'the greeting it began, then the message (what it said to the machine meanwhile is not kept)')
  t.ok(simulated.bot.marks.includes('machine_message'), 'the message played to its end')
})

t.test('leave-message: an IVR menu has no beep; the message is left once the menu stops', async (t) => {
  const { call, told } = await called('IVR', leaves)
  t.match(told, [{ detail: { answered_by: 'machine', cue: 'long-greeting' } }])
  t.match(call.conversation, { outcome: 'machine', outcome_detail: { left_message: true }, stop_reason: 'hung up by the assistant' })
})

t.test('a network message (its tones, then words) is a machine; the line drops before a message can be left', async (t) => {
  const { call, told } = await called('NETWORK', leaves)
  t.match(told, [{ detail: { answered_by: 'machine', cue: 'tone' } }])
  t.match(call.conversation, { outcome: 'machine', outcome_detail: { left_message: false }, stop_reason: 'callended' })
})

t.test('a person who says "hello?" first is a person: the assistant talks with them', async (t) => {
  const { call } = await called('PERSON', leaves)
  t.equal(call.answered_by, 'human')
  t.equal(call.conversation.outcome, 'confirmed')
})

t.test('speak-on (the default): a machine is talked to as a person, and counts as not reached: the campaign dials again', async (t) => {
  const speaksOn = await assistant({})
  const batch = await post('/api/trigger-bulk-calls', { customer_ids: ['VOICEMAIL'], assistant_id: speaksOn })
  t.equal(batch.statusCode, 202)
  let calls: Array<Record<string, any>> = []
  await until(async () => {
    calls = (await get('/api/calls?customer_id=VOICEMAIL&limit=10')).json().calls
    return calls.some((call) => call.attempt === 2)
  }, 'a retry is queued')
  const first = (await get(`/api/calls/${calls.find((call) => call.attempt === 1 && call.batch_id)!.id as string}`)).json().call
  t.equal(first.answered_by, 'machine')
  t.match(first.events.find((event: { dedupe_key?: string, detail: Record<string, unknown> }) => event.detail.next), { detail: { next: 'retry', because: 'machine' } })
})
