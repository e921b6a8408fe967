import t from 'tap'
import type { AssistantOutput, CallContext, Outcome } from '../../../lib/assistant/assistant.js'
import { EchoAssistant } from '../../../lib/assistant/echo.js'
import { paymentReminder } from '../../../lib/assistant/first-assistant.js'
import { OpenAIRealtimeAssistant } from '../../../lib/assistant/openai-realtime.js'
import { ScriptedAssistant } from '../../../lib/assistant/scripted.js'
import { Speech } from '../../../lib/speech/speech.js'
import type { OpenAIConfig } from '../../../schemas/assistants.js'
import type { MediaFormat } from '../../../lib/voice/format.js'
import { startFakeRealtime } from '../../fake-realtime.js'

/** What an assistant did, as the media session would see it; `unplayed` is what the session would report. */
function recorder () {
  const done = {
    audio: [] as Buffer[],
    marks: [] as string[],
    flushes: 0,
    clears: 0,
    lines: [] as string[],
    outcomes: [] as Outcome[],
    problems: [] as string[],
    logs: [] as string[],
    notes: [] as Array<[string, Record<string, unknown>]>,
    hangUps: 0,
    unplayed: 0
  }
  const output: AssistantOutput = {
    play: (audio) => { done.audio.push(audio) },
    flush: () => { done.flushes++ },
    mark: (name) => { done.marks.push(name) },
    clear: () => { done.clears++; done.unplayed = 0 },
    get unplayedMs () { return done.unplayed },
    transcript: (speaker, text) => { done.lines.push(`${speaker}: ${text}`) },
    outcome: (outcome) => { done.outcomes.push(outcome) },
    hangUp: () => { done.hangUps++ },
    problem: (message) => { done.problems.push(message) },
    log: (message) => { done.logs.push(message) },
    note: (event, detail) => { done.notes.push([event, detail]) }
  }
  return { done, output }
}

const context = (format: MediaFormat, attributes: Record<string, unknown> = {}, language: string | null = null): CallContext => ({
  callId: 'call-1',
  callSid: 'c'.repeat(32),
  streamSid: 's'.repeat(32),
  format,
  minFrameBytes: 3200,
  customer: { id: 'C1', name: 'Asha', phone: '+919000000000', language, attributes },
  customParameters: {}
})
const pcm8k = { encoding: 'pcm16', sampleRate: 8000 } as const
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const speech = new Speech()
t.teardown(() => speech.close())

/** The first assistant's script, asking again once after 50 ms. */
const reminder = () => new ScriptedAssistant({ ...paymentReminder(50), retries: 1 }, speech)

t.test('scripted: greets the customer by name in their language, spoken phrase by phrase; other keys get the choices again', async (t) => {
  const { done, output } = recorder()
  const session = reminder().start(context(pcm8k, {}, 'Hindi'), output)
  t.match(done.lines, [/^assistant: नमस्ते Asha, यह आपके खाते/], 'the Hindi text, with the name, in the transcript at once')
  await until(() => done.marks.length === 1)
  t.same(done.marks, ['greeting'], 'the mark follows the last sentence')
  t.equal(done.audio.length, 4, 'one piece of audio a phrase')
  const seconds = done.audio.reduce((sum, audio) => sum + audio.length, 0) / 16000
  t.ok(seconds > 4 && seconds < 20, `the greeting is speech of a greeting's length (${seconds} s)`)
  done.unplayed = 5000
  session.dtmf('7')
  t.equal(done.clears, 1, 'a key pressed over a prompt stops it')
  t.match(done.lines.slice(1), ['caller: (pressed 7)', /^assistant: माफ़ कीजिए, यह विकल्प नहीं है/])
  session.marked('greeting') // an older prompt's mark starts no wait
  session.end('callended')
  t.same(done.outcomes, [{ result: 'hung-up', detail: { customer_id: 'C1' } }])
  session.dtmf('1')
  session.audio(Buffer.alloc(320))
  t.equal(done.outcomes.length, 1, 'nothing happens after the end')
  await wait(50)
  t.equal(done.marks.length, 1, 'the overtaken reply never marks')
})

t.test('scripted: asked again when nothing comes, then no-response and goodbye; a customer in a language the assistant lacks hears its own', async (t) => {
  const { done, output } = recorder()
  const session = reminder().start(context(pcm8k, {}, 'ta'), output)
  t.same(done.notes, [['language', { said: 'greeting', asked: 'ta', spoken: 'en', reason: 'the assistant has no text in that language' }]])
  await until(() => done.marks.length === 1)
  session.marked('greeting')
  await until(() => done.marks.length === 2)
  t.same(done.marks, ['greeting', 'no_reply'])
  session.marked('no_reply')
  await until(() => done.hangUps === 1)
  t.same(done.outcomes, [{ result: 'no-response' }])
  t.match(done.lines, [/^assistant: Hello Asha/, /^assistant: Are you still there/, /^assistant: We did not get your choice/])
  t.equal(done.marks.at(-1), 'goodbye', 'hangs up once the goodbye is queued')
  session.end('stopped')
})

t.test('scripted: a choice records its outcome and reply; a field with no value is noted; speech failing is a problem of the call', async (t) => {
  const config = { ...paymentReminder(5000), voice: undefined, greeting: { en: 'You owe {{ amount_due | rupees }}. {{ due_date | date | default: "soon" }}.' } }
  const { done, output } = recorder()
  const session = new ScriptedAssistant(config, speech).start(context(pcm8k, { 'Amount Due': '₹1,200.50' }, 'xx'), output)
  t.same(done.lines, ['assistant: You owe 1200 rupees and 50 paise. soon.'])
  t.same(done.notes, [
    ['language', { asked: 'xx', reason: 'not a language the speech engine speaks' }],
    ['missing-fields', { said: 'greeting', fields: ['due_date'] }]
  ])
  session.dtmf('2')
  t.same(done.outcomes, [{ result: 'callback', detail: { digit: '2' } }])
  await until(() => done.hangUps === 1)
  t.equal(done.marks.at(-1), 'reply-2')
  const broken = { say: async function * () { throw new Error('engine gone') } } as unknown as Speech
  const second = recorder()
  new ScriptedAssistant(config, broken).start(context(pcm8k), second.output)
  await until(() => second.done.problems.length === 1)
  t.same(second.done.problems, ['Speech synthesis failed: engine gone'])
})

t.test('scripted: an utterance overtaken while its last sentence is sent never marks', async (t) => {
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  const slow = { say: async function * () { yield Buffer.alloc(1600); await gate } } as unknown as Speech
  const { done, output } = recorder()
  const session = new ScriptedAssistant(paymentReminder(5000), slow).start(context(pcm8k), output)
  await until(() => done.audio.length === 1)
  session.end('callended')
  release()
  await wait(10)
  t.same(done.marks, [], 'no mark for what the caller will never hear')
})

t.test('echo: the caller\'s audio comes back in frames Exotel accepts', async (t) => {
  const { done, output } = recorder()
  const session = new EchoAssistant().start(context({ encoding: 'pcm16', sampleRate: 16000 }), output)
  session.audio(Buffer.alloc(1600, 1))
  t.same(done.audio, [])
  session.audio(Buffer.alloc(1600, 2))
  t.same(done.audio.map((audio) => audio.length), [3200])
  t.equal(done.flushes, 1)
  session.audio(Buffer.alloc(6400, 3))
  t.equal(done.audio[1]!.length, 6400, 'a frame big enough goes as it is')
  session.dtmf('5')
  session.marked('x')
  session.end('stopped')
  t.same(done.lines, ['caller: (pressed 5)'])
})

t.test('echo: audio that would wait too long behind what is playing is skipped until the echo catches up', async (t) => {
  const { done, output } = recorder()
  const session = new EchoAssistant().start(context({ encoding: 'pcm16', sampleRate: 16000 }), output)
  done.unplayed = 300
  session.audio(Buffer.alloc(3200, 1))
  t.equal(done.audio.length, 1, '300 ms behind: played')
  done.unplayed = 301
  session.audio(Buffer.alloc(3200, 2))
  t.equal(done.audio.length, 1, 'further behind: skipped')
  t.equal(done.flushes, 2, 'each frame still ends an utterance')
  done.unplayed = 100
  session.audio(Buffer.alloc(3200, 3))
  t.same(done.audio.map((audio) => audio[0]), [1, 3], 'caught up: played again')
})

const openAIConfig: OpenAIConfig = {
  language: 'en',
  instructions: 'Hi {{name}}',
  voice: 'alloy',
  model: 'm1',
  outcomes: [{ name: 'confirmed' }, { name: 'callback' }],
  max_duration_seconds: 600
}
const openai = (url: string, options: { passMulaw?: boolean } = {}, config: Partial<OpenAIConfig> = {}) =>
  new OpenAIRealtimeAssistant({ apiKey: 'k', url, transcribeModel: 't1', ...options }, { ...openAIConfig, ...config })

t.test('openai: mu-law passes through both ways when asked; audio before the connection opens is kept; beta event names work', async (t) => {
  const fake = await startFakeRealtime()
  t.teardown(() => fake.close())
  const assistant = openai(fake.url, { passMulaw: true })
  t.equal(assistant.name, 'openai')
  const { done, output } = recorder()
  const session = assistant.start(context({ encoding: 'mulaw', sampleRate: 8000 }), output)
  session.audio(Buffer.alloc(800, 0xff)) // before the socket opens
  await until(() => done.marks.length === 1)
  const events = fake.sessions[0]!.events
  t.same(events[0]!.session.audio.output.format, { type: 'audio/pcmu' })
  t.equal(events[0]!.session.instructions, 'Hi Asha')
  t.same(events.slice(1).map((event) => event.type), ['response.create', 'input_audio_buffer.append'])
  t.equal(Buffer.from(events[2]!.audio, 'base64').length, 800, 'mu-law audio is sent as it is')
  t.equal(done.audio.reduce((sum, audio) => sum + audio.length, 0), 24_000, 'three seconds of the model\'s mu-law, untouched')
  t.same(done.lines, ['assistant: Hello, this is a call about your account. Will you confirm your payment?'])

  // The beta interface's event names, an error, and tool calls (one with arguments that are not JSON).
  const before = events.length
  fake.push(
    { type: 'response.audio.delta', item_id: 'beta1', delta: Buffer.alloc(1600, 0x11).toString('base64') },
    { type: 'response.audio.done', item_id: 'beta1' },
    { type: 'response.audio_transcript.done', item_id: 'beta1', transcript: 'Beta words' },
    { type: 'error', error: { message: 'The server had an error', code: 'server_error' } },
    { type: 'error' },
    { type: 'response.function_call_arguments.done', name: 'record_outcome', call_id: 'x1', arguments: 'not json' },
    { type: 'rate_limits.updated' }
  )
  await until(() => done.problems.length === 2 && events.length >= before + 2)
  t.equal(done.audio.at(-1)!.length, 1600)
  t.same(done.marks.at(-1), 'reply:beta1')
  t.same(done.lines.at(-1), 'assistant: Beta words')
  t.same(done.problems, ['OpenAI Realtime: The server had an error (server_error)', 'OpenAI Realtime: error'])
  t.same(done.outcomes, [], 'no outcome from arguments that are not JSON')
  t.same(events.slice(before).map((event) => event.type), ['conversation.item.create', 'response.create'], 'the tool call is still answered')

  // The caller talks: with nothing left to play there is nothing to cut; while the reply plays, it is cut.
  const played = done.audio.length
  fake.push({ type: 'input_audio_buffer.speech_started', item_id: 'u1' })
  fake.push({ type: 'response.output_audio.delta', item_id: 'r2', delta: Buffer.alloc(8000).toString('base64') }) // 1 s
  await until(() => done.audio.length === played + 1)
  t.equal(done.clears, 0)
  done.unplayed = 400
  fake.push({ type: 'input_audio_buffer.speech_started', item_id: 'u2' })
  await until(() => done.clears === 1)
  await until(() => events.some((event) => event.type === 'conversation.item.truncate'))
  t.match(events.find((event) => event.type === 'conversation.item.truncate'), { item_id: 'r2', content_index: 0, audio_end_ms: 600 })

  // Events missing their optional fields are taken as empty.
  const heard = done.lines.length
  const answered = events.length
  fake.push(
    { type: 'response.output_audio.delta' },
    { type: 'response.output_audio.done' },
    { type: 'response.output_audio_transcript.done' },
    { type: 'conversation.item.input_audio_transcription.completed' },
    { type: 'response.function_call_arguments.done', name: 'lookup' }
  )
  await until(() => events.length === answered + 2)
  t.equal(done.audio.at(-1)!.length, 0)
  t.equal(done.marks.at(-1), 'reply:')
  t.same(done.lines.slice(heard), ['assistant: ', 'caller: '])

  session.dtmf('2')
  await until(() => done.outcomes.length === 1)
  t.same(done.outcomes, [{ result: 'callback', detail: {} }], 'a key pressed reaches the model as text')
  t.ok(done.lines.includes('caller: (pressed 2)'))
  await until(() => done.hangUps === 1) // its goodbye, then end_call
  session.marked('anything')
  session.end('stopped')
  await wait(50)
  t.same(done.problems.length, 2, 'a close we asked for is no problem')
})

t.test('openai: a service that cannot be reached ends the call with the problem recorded', async (t) => {
  const fake = await startFakeRealtime()
  const url = fake.url
  await fake.close()
  const { done, output } = recorder()
  const session = openai(url).start(context(pcm8k), output)
  session.audio(Buffer.alloc(320))
  await until(() => done.hangUps === 1)
  t.match(done.problems, [/The OpenAI Realtime connection closed \(1006\)/])
  session.audio(Buffer.alloc(320)) // after the close: dropped
})

t.test('openai: mu-law is converted to 24 kHz PCM for the model, and the model\'s voice back to mu-law', async (t) => {
  const fake = await startFakeRealtime()
  t.teardown(() => fake.close())
  const { done, output } = recorder()
  const session = openai(fake.url).start(context({ encoding: 'mulaw', sampleRate: 8000 }), output)
  await until(() => done.marks.length === 1)
  session.audio(Buffer.alloc(800, 0xff)) // 100 ms of mu-law
  const events = fake.sessions[0]!.events
  await until(() => events.some((event) => event.type === 'input_audio_buffer.append'))
  t.same(events[0]!.session.audio.input.format, { type: 'audio/pcm', rate: 24000 })
  t.same(events[0]!.session.audio.input.transcription, { model: 't1' })
  t.equal(Buffer.from(events.find((event) => event.type === 'input_audio_buffer.append')!.audio, 'base64').length, 4800, '100 ms at 24 kHz')
  t.equal(done.audio.reduce((sum, audio) => sum + audio.length, 0), 24_000, "three seconds of the model's voice, as 8 kHz mu-law")
  session.end('stopped')
})

/** An OpenAI session on a strict fake whose greeting has been said, and its response done. */
async function greeted (t: { teardown (fn: () => unknown): void }) {
  const fake = await startFakeRealtime()
  t.teardown(() => fake.close())
  const { done, output } = recorder()
  const session = openai(fake.url).start(context(pcm8k), output)
  await until(() => done.marks.length === 1)
  await wait(50)
  const events = fake.sessions[0]!.events
  const creates = () => events.filter((event) => event.type === 'response.create').length
  return { fake, done, session, events, creates }
}

t.test('openai: a tool result and a key pressed while a response is active wait for its response.done', async (t) => {
  const { fake, done, session, events, creates } = await greeted(t)
  t.equal(creates(), 1)
  fake.push({ type: 'response.created', response: { id: 'r9' } })
  fake.push({ type: 'response.function_call_arguments.done', name: 'record_outcome', call_id: 'c9', arguments: '{"result":"confirmed"}' })
  await until(() => done.outcomes.length === 1)
  session.dtmf('1')
  await until(() => events.filter((event) => event.type === 'conversation.item.create').length === 2)
  await wait(50)
  t.equal(creates(), 1, 'no response.create while one is active')
  const mark = events.length
  fake.push({ type: 'response.done', response: { id: 'r9', status: 'completed' } })
  await until(() => creates() === 2)
  const after = events.slice(mark).map((event) => event.type)
  t.same(after.slice(0, after.indexOf('conversation.item.create') + 1 || undefined).filter((type) => type === 'response.create'), ['response.create'],
    'one response.create for both, once it was done')
  await until(() => done.hangUps === 1) // the conversation goes on to its goodbye
  t.same(fake.errors, [], 'the server refused nothing')
  session.end('stopped')
})

t.test('openai: a response.create that crossed one the server started itself is logged, and asked again once that one is done', async (t) => {
  const { fake, done, session, creates } = await greeted(t)
  fake.push({ type: 'response.created', response: { id: 'r10' } })
  fake.push({ type: 'error', error: { type: 'invalid_request_error', code: 'conversation_already_has_active_response', message: 'busy' } })
  await until(() => done.logs.length === 1)
  t.same(done.logs, ['OpenAI Realtime: conversation_already_has_active_response'])
  t.same(done.problems, [], 'not a problem of the call')
  t.equal(creates(), 1)
  fake.push({ type: 'response.done', response: { id: 'r10', status: 'completed' } })
  await until(() => creates() === 2)
  session.end('stopped')
})

t.test('openai: a refused connection is recorded with its HTTP status and message, not as a close', async (t) => {
  const fake = await startFakeRealtime()
  t.teardown(() => fake.close())
  const cases: Array<[{ status: number, body: string }, string]> = [
    [{ status: 401, body: JSON.stringify({ error: { message: 'Incorrect API key provided: sk-bad.', code: 'invalid_api_key' } }) },
      'OpenAI Realtime refused the connection: HTTP 401 (Incorrect API key provided: sk-bad.)'],
    [{ status: 404, body: 'model_not_found' }, 'OpenAI Realtime refused the connection: HTTP 404 (model_not_found)'],
    [{ status: 400, body: '' }, 'OpenAI Realtime refused the connection: HTTP 400'],
    [{ status: 403, body: '{"error":{}}' }, 'OpenAI Realtime refused the connection: HTTP 403 ({"error":{}})']
  ]
  for (const [refusal, problem] of cases) {
    fake.refusal = refusal
    const { done, output } = recorder()
    openai(fake.url).start(context(pcm8k), output)
    await until(() => done.hangUps === 1)
    await wait(20)
    t.same(done.problems, [problem])
  }
})

/** Waits for `check` (up to 20 s: the first speech loads the engine, slow on a loaded machine). */
async function until (check: () => boolean) {
  for (let i = 0; i < 4000 && !check(); i++) await wait(5)
  if (!check()) throw new Error('timed out')
}

t.test("openai: the assistant's config makes the session: a first message in the customer's language, outcomes as typed tool fields, a longest duration", async (t) => {
  const fake = await startFakeRealtime()
  t.teardown(() => fake.close())
  const { done, output } = recorder()
  const assistant = openai(fake.url, {}, {
    instructions: 'Call {{ first_name }} about {{ amount_due | rupees }}, in {{ language }}.',
    first_message: { en: 'Hello {{ first_name }}.', hi: 'नमस्ते {{ first_name }}।' },
    voice: 'marin',
    model: 'm2',
    outcomes: [
      { name: 'promised', description: 'Will pay', fields: [{ name: 'promise_to_pay_date', type: 'date' }, { name: 'amount', type: 'number' }, { name: 'by_upi', type: 'boolean' }] },
      { name: 'callback', follow_up: true, fields: [{ name: 'when', type: 'string' }] }
    ],
    max_duration_seconds: 30
  })
  const session = assistant.start(context(pcm8k, { amount_due: '1200' }, 'hi'), output)
  await until(() => fake.sessions[0]?.events.length! >= 2)
  const [update, create] = fake.sessions[0]!.events
  t.match(fake.sessions[0]!.url, /[?&]model=m2(&|$)/)
  t.equal(update!.session.instructions, 'Call Asha about 1200 रुपये, in Hindi.')
  t.equal(update!.session.audio.output.voice, 'marin')
  const tool = update!.session.tools[0]
  t.same(tool.parameters.properties.result.enum, ['promised', 'callback'])
  t.match(tool.parameters.properties, { promise_to_pay_date: { type: 'string' }, amount: { type: 'number' }, by_upi: { type: 'boolean' }, when: { type: 'string' } })
  t.match(create, { type: 'response.create', response: { instructions: /नमस्ते Asha।$/ } }, 'the first message, as written, in Hindi')

  const before = fake.sessions[0]!.events.length
  fake.push({ type: 'response.done', response: { id: 'x' } })
  fake.push({
    type: 'response.function_call_arguments.done',
    name: 'record_outcome',
    call_id: 'o1',
    arguments: JSON.stringify({ result: 'promised', promise_to_pay_date: '2026-12-05', amount: '1,200', by_upi: 'yes', note: 'friendly' })
  })
  fake.push({ type: 'response.function_call_arguments.done', name: 'record_outcome', call_id: 'o2', arguments: '{"result":"paid-already"}' })
  fake.push({ type: 'response.function_call_arguments.done', name: 'record_outcome', call_id: 'o3', arguments: '{"result":"promised","promise_to_pay_date":"5 Dec","amount":"lots"}' })
  fake.push({ type: 'response.function_call_arguments.done', name: 'record_outcome', call_id: 'o4', arguments: '{"result":"callback","when":5}' })
  fake.push({ type: 'response.function_call_arguments.done', name: 'record_outcome', call_id: 'o5', arguments: '{"result":"callback","when":"after 6 pm"}' })
  fake.push({ type: 'response.function_call_arguments.done', name: 'record_outcome', call_id: 'o7', arguments: '{"result":"promised","amount":1500,"by_upi":true}' })
  fake.push({ type: 'response.function_call_arguments.done', name: 'record_outcome', call_id: 'o6', arguments: '{"result":"promised","promise_to_pay_date":5,"amount":true}' })
  await until(() => done.outcomes.length === 6 && done.logs.some((line) => line.includes('paid-already')))
  t.same(done.outcomes, [
    { result: 'promised', detail: { note: 'friendly', promise_to_pay_date: '2026-12-05', amount: 1200 } },
    { result: 'promised', detail: {} },
    { result: 'callback', detail: {} },
    { result: 'callback', detail: { when: 'after 6 pm' } },
    { result: 'promised', detail: { amount: 1500, by_upi: true } },
    { result: 'promised', detail: {} }
  ], 'typed, as declared')
  t.same(done.notes, [
    ['outcome-fields-refused', { fields: ['by_upi is not a boolean'] }],
    ['outcome-fields-refused', { fields: ['promise_to_pay_date is not a date', 'amount is not a number'] }],
    ['outcome-fields-refused', { fields: ['when is not a string'] }],
    ['outcome-fields-refused', { fields: ['promise_to_pay_date is not a date', 'amount is not a number'] }]
  ])
  t.ok(done.logs.includes('OpenAI Realtime: record_outcome with an outcome the assistant does not have (paid-already)'))
  // Each call's answer goes to the model over the socket: it reaches the fake server a moment later.
  await until(() => fake.sessions[0]!.events.length > before)
  t.ok(fake.sessions[0]!.events.length > before)
  session.end('stopped')
})

t.test('openai: a call that reaches the longest duration ends, noted on the call and logged, not a problem', async (t) => {
  const fake = await startFakeRealtime()
  t.teardown(() => fake.close())
  const { done, output } = recorder()
  openai(fake.url, {}, { max_duration_seconds: 0.05 }).start(context(pcm8k), output)
  await until(() => done.hangUps === 1)
  t.same(done.notes, [['max-duration', { seconds: 0.05 }]])
  t.same(done.problems, [])
  t.match(done.logs, [/longest duration \(0.05 s\)/])
})
