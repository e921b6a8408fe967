import t from 'tap'
import { createAssistant } from '../../../lib/assistant/store.js'
import { appWithCustomers, ANY_HOUR, FAST_CALLS, says, scriptedConfig, until } from '../../helper.js'
import { startFakeRealtime } from '../../fake-realtime.js'

/**
 * The hand-off to a person, the flow way on the simulator: the assistant ends its part, the flow's Passthru after the
 * Voicebot applet answers 302 (on to the Connect applet, which asks /handoff-agent whom to ring) or, as always, 200
 * (on to hang up), and the Passthru after the Connect applet tells whether an agent took the call. The stream way refuses.
 */
const scripted = scriptedConfig({
  greeting: says('Hello {{ first_name }}. Press 1 to confirm, or 0 to talk to a person.'),
  choices: [{ key: '1', outcome: 'confirmed', reply: says('Thank you.') }, { key: '0', outcome: 'handoff', reply: says('Connecting you to a person.') }],
  outcomes: [{ name: 'confirmed', final: true }, { name: 'handoff' }]
})
const TOKEN = 'a-webhook-token-for-tests'
const CSV = 'customer_id,name,phone\nASKS,Asha Asks,9000000050\nCONFIRMS,Ravi Confirms,9000000000\nAWAY,Amit Away,9000000059\n'

const fake = await startFakeRealtime()
t.teardown(() => fake.close())

async function ended (get: (url: string) => Promise<{ json (): any }>, id: string) {
  let call: Record<string, any> = {}
  await until(async () => {
    call = (await get(`/api/calls/${id}`)).json().call
    return call.status === 'completed' && call.conversation?.ended_at
  }, 'the call ends')
  return call
}

t.test('the flow way: a customer who asks for a person is handed to the agents, and the call records that one took it', async (t) => {
  const { app, post, get } = await appWithCustomers(t, {
    ...FAST_CALLS, ...ANY_HOUR, EXOTEL_CALL_MODE: 'flow', HANDOFF_AGENT_NUMBER: '+919800000001', EXOTEL_WEBHOOK_TOKEN: TOKEN, OPENAI_API_KEY: 'sk-test', OPENAI_REALTIME_URL: fake.url
  }, CSV)
  const made = await post('/api/assistants', { name: 'With a person', kind: 'scripted', config: scripted })
  t.equal(made.statusCode, 201)
  const assistantId = made.json().assistant.id as string
  t.same(made.json().assistant.outcomes, ['confirmed', 'handoff', 'no-response', 'hung-up'])

  const asks = await ended(get, (await post('/api/trigger-single-call', { customer_id: 'ASKS', assistant_id: assistantId })).json().call.id)
  t.match(asks.conversation, { outcome: 'handoff', outcome_detail: { digit: '0', agent_answered: true }, stop_reason: 'hung up by the assistant' })
  t.equal(asks.conversation.transcript.at(-1).text, 'Connecting you to a person.', 'told before the hand-off')
  await until(async () => (await get(`/api/calls/${asks.id as string}`)).json().call.events
    .some((event: { detail: Record<string, any> }) => event.detail.handoff), 'the agent\'s leg is on the timeline')
  const events = (await get(`/api/calls/${asks.id as string}`)).json().call.events
  t.match(events.filter((event: { source: string }) => event.source === 'passthru').map((event: { detail: object }) => event.detail), [
    { digits: null, stream: null },
    { stream: { Status: 'completed', DisconnectedBy: 'bot' } },
    { handoff: { agent_answered: true, dial_status: 'completed', seconds: 30 } }
  ], 'the Passthru before the assistant, after it (302: the branch to the agents), and after the agent\'s leg')
  t.same(app.telephony.simulator!.calls.get(asks.exotel_sid)!.agent, { number: '+919800000001', answered: true },
    'the Connect applet rang the number /handoff-agent gave')
  t.match((await get('/api/notices')).json().notices, [{
    kind: 'handoff', message: 'Asha Asks was handed to a person (pressed 0): open the call for who they are and what was said.', link: `#/calls/${asks.id as string}`
  }], 'a notice above every screen links the agent to the call')

  const confirms = await ended(get, (await post('/api/trigger-single-call', { customer_id: 'CONFIRMS', assistant_id: assistantId })).json().call.id)
  t.equal(confirms.conversation.outcome, 'confirmed')
  t.equal(app.telephony.simulator!.calls.get(confirms.exotel_sid)!.agent, undefined, 'no hand-off: the Passthru answered 200, on to hang up')

  // Handed off, and no agent answers the Connect applet's ring.
  const away = await ended(get, (await post('/api/trigger-single-call', { customer_id: 'AWAY', assistant_id: assistantId })).json().call.id)
  await until(async () => (await get(`/api/calls/${away.id as string}`)).json().call.conversation.outcome_detail.agent_answered === false,
    'the unanswered agent leg recorded')
  t.same(app.telephony.simulator!.calls.get(away.exotel_sid)!.agent, { number: '+919800000001', answered: false })
  // As Exotel's Passthru after the Connect applet may tell it, with no duration.
  const query = new URLSearchParams({ token: TOKEN, CallSid: away.exotel_sid, DialCallStatus: 'busy', CallType: 'incomplete' })
  const busy = await app.inject({ url: `/passthru-handler?${query.toString()}` })
  t.same(busy.json(), { success: true, message: 'No agent took the call' })
  t.match((await get(`/api/calls/${away.id as string}`)).json().call.events.at(-1), { source: 'passthru', detail: { handoff: { agent_answered: false, dial_status: 'busy', seconds: null } } })

  // The OpenAI assistant hands off through its hand_off tool.
  const ai = await post('/api/assistants', {
    name: 'AI with a person',
    kind: 'openai',
    config: { language: 'en', instructions: 'Help {{ name }}.', outcomes: [{ name: 'confirmed' }, { name: 'handoff', description: 'they want a person' }] }
  })
  t.equal(ai.statusCode, 201)
  const viaTool = await ended(get, (await post('/api/trigger-single-call', { customer_id: 'ASKS', assistant_id: ai.json().assistant.id })).json().call.id)
  t.match(viaTool.conversation, { assistant: 'openai', outcome: 'handoff', outcome_detail: { reason: 'asked for a person' } })
  t.ok(fake.sessions.at(-1)!.events.find((event) => event.type === 'session.update')!.session.tools.some((tool: { name: string }) => tool.name === 'hand_off'))
  t.equal((await app.inject({ url: `/handoff-agent?token=${TOKEN}` })).body, '+919800000001')
  fake.handOffReason = undefined // a model that gives no reason
  t.teardown(() => { fake.handOffReason = 'asked for a person' })
  const noReason = await ended(get, (await post('/api/trigger-single-call', { customer_id: 'AWAY', assistant_id: ai.json().assistant.id })).json().call.id)
  t.match(noReason.conversation, { outcome: 'handoff', outcome_detail: { reason: '' } })
  t.match((await get('/api/notices')).json().notices.map((notice: { message: string }) => notice.message), [
    'Amit Away was handed to a person (no reason given): open the call for who they are and what was said.',
    'Asha Asks was handed to a person (asked for a person): open the call for who they are and what was said.',
    'Amit Away was handed to a person (pressed 0): open the call for who they are and what was said.',
    'Asha Asks was handed to a person (pressed 0): open the call for who they are and what was said.'
  ], 'the latest first, with the reason the model gave')
})

t.test('the stream way cannot transfer: a hand-off assistant is refused; without HANDOFF_AGENT_NUMBER none can be saved', async (t) => {
  const { app, post } = await appWithCustomers(t, { ...FAST_CALLS, ...ANY_HOUR, EXOTEL_WEBHOOK_TOKEN: TOKEN }, CSV)
  const refused = await post('/api/assistants', { name: 'With a person', kind: 'scripted', config: scripted })
  t.equal(refused.statusCode, 400)
  t.same(refused.json(), {
    success: false,
    message: 'config.outcomes: handoff hands calls to a person, which needs HANDOFF_AGENT_NUMBER (the number Exotel rings), and this server has none'
  })
  const saved = await createAssistant(app.db, { name: 'With a person', kind: 'scripted', createdBy: 'test', config: scripted })
  const message = "The assistant 'With a person' hands calls to a person, which needs the flow way (EXOTEL_CALL_MODE=flow): in the stream way Exotel cannot transfer a call"
  for (const [url, body] of [
    ['/api/trigger-single-call', { customer_id: 'ASKS', assistant_id: saved.id }],
    ['/api/trigger-bulk-calls', { customer_ids: ['ASKS'], assistant_id: saved.id }]
  ] as const) {
    const answer = await post(url, body)
    t.equal(answer.statusCode, 409, url)
    t.same(answer.json(), { success: false, message })
  }
  t.equal((await app.db.query('SELECT 1 FROM call')).rowCount, 0, 'nobody dialled')
  const agent = await app.inject({ url: `/handoff-agent?token=${TOKEN}` })
  t.equal(agent.statusCode, 404)
  t.same(agent.json(), { success: false, message: 'No HANDOFF_AGENT_NUMBER: this server hands no call to a person' })
})
