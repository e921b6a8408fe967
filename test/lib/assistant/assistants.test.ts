import t from 'tap'
import type { AssistantOutput, CallContext, Outcome } from '../../../lib/assistant/assistant.js'
import { EchoAssistant } from '../../../lib/assistant/echo.js'
import { fillPrompt, OpenAIRealtimeAssistant } from '../../../lib/assistant/openai-realtime.js'
import { PROMPTS, ScriptedAssistant } from '../../../lib/assistant/scripted.js'
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
    log: (message) => { done.logs.push(message) }
  }
  return { done, output }
}

const context = (format: MediaFormat, attributes: Record<string, unknown> = {}): CallContext => ({
  callId: 'call-1',
  callSid: 'c'.repeat(32),
  streamSid: 's'.repeat(32),
  format,
  minFrameBytes: 3200,
  customer: { id: 'C1', name: 'Asha', phone: '+919000000000', language: null, attributes },
  customParameters: {}
})
const pcm8k = { encoding: 'pcm16', sampleRate: 8000 } as const
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

t.test('scripted: other keys get the choices again; a hang-up before a choice is recorded as such', async (t) => {
  const assistant = new ScriptedAssistant({ replyTimeoutMs: 10_000 })
  const { done, output } = recorder()
  const session = assistant.start(context(pcm8k), output)
  t.same(done.marks, ['menu'])
  t.equal(done.audio[0]!.length, assistant.audio('menu', pcm8k).length)
  done.unplayed = 5000
  session.dtmf('7')
  t.equal(done.clears, 1, 'a key pressed over a prompt stops it')
  t.same(done.lines, [`assistant: ${PROMPTS.menu}`, 'caller: (pressed 7)', `assistant: ${PROMPTS.invalid}`])
  session.marked('menu') // an older prompt's mark starts no wait
  session.end('callended')
  t.same(done.outcomes, [{ result: 'hung-up', detail: { customer_id: 'C1' } }])
  session.dtmf('1')
  session.audio(Buffer.alloc(320))
  t.equal(done.outcomes.length, 1, 'nothing happens after the end')
})

t.test('scripted: prompts in every stream format, converted once', async (t) => {
  const assistant = new ScriptedAssistant({ replyTimeoutMs: 10_000 })
  const mulaw = assistant.audio('menu', { encoding: 'mulaw', sampleRate: 8000 })
  t.equal(mulaw.length * 2, assistant.audio('menu', pcm8k).length)
  t.equal(assistant.audio('menu', { encoding: 'pcm16', sampleRate: 24000 }).length, mulaw.length * 6)
  t.equal(assistant.audio('menu', { encoding: 'mulaw', sampleRate: 8000 }), mulaw, 'kept')
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

t.test('the prompt template takes the customer\'s fields', async (t) => {
  const customer = { id: 'C1', name: null, phone: '+91900', language: null, attributes: { due: 120, 'due date': '2026-12-01' } }
  t.equal(fillPrompt('{{name}}|{{phone}}|{{language}}|{{due}}|{{ due date }}|{{attributes}}|{{nope}}', customer),
    'the customer|+91900|English|120|2026-12-01|due: 120, due date: 2026-12-01|')
  t.equal(fillPrompt('{{attributes}}', { ...customer, attributes: {} }), 'none')
})

const openai = (url: string, options: { passMulaw?: boolean } = {}) =>
  new OpenAIRealtimeAssistant({ apiKey: 'k', url, model: 'm1', transcribeModel: 't1', voice: 'alloy', prompt: 'Hi {{name}}', ...options })

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

async function until (check: () => boolean) {
  for (let i = 0; i < 400 && !check(); i++) await wait(5)
  if (!check()) throw new Error('timed out')
}
