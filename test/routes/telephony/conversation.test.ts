import t from 'tap'
import { build, capturingLogger, FAST_CALLS, finishedConversation, multipartFile, testUsers } from '../../helper.js'

/**
 * Whole calls on the simulator with the scripted assistant: the simulated caller listens, presses keys or talks
 * over the bot (by the number's last digit), and the conversation ends up on the call.
 */
const { lines, logger } = capturingLogger()
const app = await build(t, {
  logger,
  env: {
    ...FAST_CALLS,
    ASSISTANT_REPLY_TIMEOUT_MS: '200'
  }
})
await app.listen({ host: '127.0.0.1', port: 0 })
const user = await testUsers(app, lines).signedIn()
const authorization = `Bearer ${user.access_token as string}`
const { payload, headers } = multipartFile('customer_id,name,phone,amount_due\n' +
  'PRESSES1,Asha Rao,9000000000,1200\nTALKS,Ravi Talk,9000000004,300\nLATER,Meena Later,9000000005,50\nSILENT,Quiet One,9000000006,10\nBUSY,Busy Bee,9000000001,5\n')
await app.inject({ method: 'POST', url: '/api/upload-customers', payload, headers: { ...headers, authorization } })

const conversationOf = (customerId: string) => finishedConversation(app, authorization, customerId)

const sim = (call: { exotel_sid: string }) => app.telephony.simulator!.calls.get(call.exotel_sid)!

t.test('a caller who presses 1 when asked: confirmed, and the bot hangs up after thanking them', async (t) => {
  const call = await conversationOf('PRESSES1')
  t.match(call.conversation, {
    assistant: 'scripted',
    stream_sid: /^[0-9a-f]{32}$/,
    dtmf: '1',
    outcome: 'confirmed',
    outcome_detail: { digit: '1' },
    barge_ins: 0,
    problem: null,
    stop_reason: 'hung up by the assistant',
    started_at: String,
    ended_at: String
  })
  t.same(call.conversation.transcript.map((line: { speaker: string, text: string }) => `${line.speaker}: ${line.text.split(',')[0]}`), [
    'assistant: Hello Asha', 'caller: (pressed 1)', 'assistant: Thank you'
  ])
  const simulated = sim(call)
  t.same(simulated.caller.digits, ['1'])
  t.ok(simulated.bot.audioBytes >= 16000 * 9, 'the greeting (over 9 s) and the thanks were streamed')
  t.ok(simulated.bot.marks.includes('greeting') && simulated.bot.marks.includes('hang-up'), 'marks answered as playback reached them')
  t.equal(simulated.bot.clears, 0)
  t.equal(simulated.bot.misnumbered, 0, "every frame numbered as Exotel's sample bots number theirs")
})

t.test('a caller who talks over the bot: it stops (clear), asks for the keypad, then takes the key', async (t) => {
  const call = await conversationOf('TALKS')
  t.match(call.conversation, { dtmf: '1', outcome: 'confirmed', barge_ins: 1 })
  t.same(call.conversation.transcript.map((line: { speaker: string, text: string }) => `${line.speaker}: ${line.text.split(',')[0]}`), [
    'assistant: Hello Ravi', 'caller: (spoke)', 'assistant: Sorry', 'caller: (pressed 1)', 'assistant: Thank you'
  ])
  const simulated = sim(call)
  t.equal(simulated.bot.clears, 1, 'Exotel was told to drop the rest of the greeting')
  t.equal(simulated.bot.misnumbered, 0, 'the clear numbered in turn too')
  t.notOk(simulated.bot.marks.includes('greeting'), 'the greeting never finished playing')
  // How it sounded: a barge-in, stopped; two turns answered (their words, then their key).
  const { quality } = call.conversation
  t.equal(quality.barge_in_reactions_ms.length, 1, 'the barge-in, and how soon the greeting stopped')
  t.equal(quality.response_delays_ms.length, 2, 'a reply delay for each turn: after their words, after their key')
  t.ok([quality.first_audio_ms, ...quality.barge_in_reactions_ms, ...quality.response_delays_ms].every((ms: number) => ms >= 0))
})

t.test('a caller who presses 2: a call back later', async (t) => {
  const call = await conversationOf('LATER')
  t.match(call.conversation, { dtmf: '2', outcome: 'callback', outcome_detail: { digit: '2' } })
})

t.test('a caller who never answers the question: asked again twice, then no-response', async (t) => {
  const call = await conversationOf('SILENT')
  t.match(call.conversation, { dtmf: '', outcome: 'no-response' })
  t.same(call.conversation.transcript.map((line: { text: string }) => line.text.split(/[,?]/)[0]), ['Hello Quiet', 'Are you still there', 'Are you still there', 'We did not get your choice'])
})

t.test('calls are found by what came of them: one outcome, several, or none recorded', async (t) => {
  const started = await app.inject({ method: 'POST', url: '/api/trigger-single-call', payload: { customer_id: 'BUSY' }, headers: { authorization } })
  const busy = started.json().call.id as string
  for (let i = 0; i < 200; i++) {
    const { call } = (await app.inject({ url: `/api/calls/${busy}`, headers: { authorization } })).json()
    if (call.status === 'busy') break
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  const customersOf = async (query: string) => {
    const answer = await app.inject({ url: `/api/calls?${query}`, headers: { authorization } })
    t.equal(answer.statusCode, 200, query)
    const { calls, total } = answer.json()
    t.equal(total, calls.length, `${query}: total counts the matches`)
    return calls.map((call: { customer_id: string, outcome: string | null }) => `${call.customer_id}:${call.outcome}`).sort()
  }
  t.same(await customersOf('outcome=confirmed'), ['PRESSES1:confirmed', 'TALKS:confirmed'])
  t.same(await customersOf('outcome=callback&outcome=no-response'), ['LATER:callback', 'SILENT:no-response'])
  t.same(await customersOf('outcome=callback,no-response'), ['LATER:callback', 'SILENT:no-response'], 'comma-separated as well')
  t.same(await customersOf('outcome=none'), ['BUSY:null'], 'none: calls with no outcome recorded')
  t.same(await customersOf('outcome=none,callback&customer_id=LATER'), ['LATER:callback'], 'with the other filters')
  t.same(await customersOf('outcome=declined'), [])
  const bad = await app.inject({ url: '/api/calls?outcome=Confirmed!', headers: { authorization } })
  t.equal(bad.statusCode, 400)
  t.match(bad.json().message, /^query\.outcome\[0\] must match pattern/)
})
