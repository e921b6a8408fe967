import t from 'tap'
import { build, capturingLogger, FAST_CALLS, finishedConversation, multipartFile, testUsers } from '../../helper.js'
import { startFakeRealtime } from '../../fake-realtime.js'

/** Whole calls on the simulator with the OpenAI Realtime assistant, against a local Realtime server. */
const fake = await startFakeRealtime()
t.teardown(() => fake.close())
const { lines, logger } = capturingLogger()
const app = await build(t, {
  logger,
  env: {
    ...FAST_CALLS,
    OPENAI_API_KEY: 'sk-test-key',
    OPENAI_REALTIME_URL: fake.url,
    OPENAI_VOICE: 'verse',
    ASSISTANT_PROMPT: 'Call {{ name }} about {{amount_due}} rupees ({{attributes}}); {{unknown}}speak {{language}}.'
  }
})
await app.listen({ host: '127.0.0.1', port: 0 })
const user = await testUsers(app, lines).signedIn()
const authorization = `Bearer ${user.access_token as string}`
const { payload, headers } = multipartFile('customer_id,name,phone,amount_due,language\n' +
  'TALKS,Ravi Talk,9000000004,300,Hindi\nDROPPED,Dee Dropped,9000000000,75,\nSTALL,Sam Stall,9000000010,50,\n' +
  'VOICEMAIL,Vani Mail,9000000077,20,\n')
await app.inject({ method: 'POST', url: '/api/upload-customers', payload, headers: { ...headers, authorization } })

const conversationOf = (customerId: string) => finishedConversation(app, authorization, customerId)

t.test('the caller talks over the greeting: clear, truncation, their words and the outcome on the call', async (t) => {
  const call = await conversationOf('TALKS')
  const session = fake.sessions.at(-1)!
  t.equal(session.authorization, 'Bearer sk-test-key')
  t.match(session.url, /model=gpt-realtime-2\.1$/, 'a model the openai package does not mark deprecated')
  const update = session.events.find((event) => event.type === 'session.update')!
  t.equal(update.session.instructions, 'Call Ravi Talk about 300 rupees (amount_due: 300); speak Hindi.')
  t.same(update.session.audio.input.format, { type: 'audio/pcm', rate: 24000 }, 'the 8 kHz PCM stream is resampled to 24 kHz')
  t.same(update.session.audio.input.transcription, { model: 'gpt-live-transcribe' })
  t.equal(update.session.audio.output.voice, 'verse')
  t.same(update.session.tools.map((tool: { name: string }) => tool.name), ['record_outcome', 'end_call'])

  const appended = session.events.filter((event) => event.type === 'input_audio_buffer.append')
  t.ok(appended.length > 10, 'the caller\'s audio streams to the model')
  t.equal(Buffer.from(appended[1]!.audio, 'base64').length, 4800, 'a 100 ms frame at 8 kHz is 100 ms at 24 kHz')
  const truncate = session.events.find((event) => event.type === 'conversation.item.truncate')
  t.match(truncate, { item_id: /^item_/, content_index: 0, audio_end_ms: Number }, "the model's reply is cut to what was heard")
  t.ok(truncate!.audio_end_ms < 3000, 'less than the whole greeting was heard')

  t.match(call.conversation, { assistant: 'openai', outcome: 'confirmed', outcome_detail: { note: 'pays on Friday' }, barge_ins: 1, problem: null })
  t.same(call.conversation.transcript.slice(0, 3).map((line: { speaker: string, text: string }) => `${line.speaker}: ${line.text}`), [
    'assistant: Hello, this is a call about your account. Will you confirm your payment?',
    'caller: I will pay on Friday',
    'assistant: Thank you, goodbye.'
  ])
  const simulated = app.telephony.simulator!.calls.get(call.exotel_sid)!
  t.equal(simulated.bot.clears, 1, 'Exotel was told to drop the rest of the greeting')
  t.ok(simulated.bot.marks.includes('hang-up'), 'the bot hung up after its goodbye played')
  t.same(fake.errors, [], 'the strict server refused nothing: no response.create while one was active, no truncate past its audio')
  t.match(call.conversation.quality, { first_audio_ms: Number, barge_in_reactions_ms: [Number], underruns: 0 }, 'how it sounded: the barge-in\'s reaction')
  t.ok(call.conversation.quality.model_delays_ms.length >= 2, 'the model\'s delay, each response')
  const count = async (name: string) => Number(/_count (\d+)/.exec(await app.metrics.getSingleMetricAsString(name))?.[1])
  t.ok(await count('vcm_call_barge_in_reaction_seconds') >= 1, 'and in /metrics, as histograms')
  t.ok(await count('vcm_call_model_delay_seconds') >= 2)
})

t.test('a model whose audio stalls mid-greeting: the caller hears a stutter, counted as an underrun', async (t) => {
  fake.stallMs = 2500 // longer than the half of the greeting sent before it
  const call = await conversationOf('STALL')
  fake.stallMs = 0
  t.match(call.conversation.quality, { underruns: 1, first_audio_ms: Number })
  t.ok(call.conversation.quality.model_delays_ms[0] < 2500, 'the model\'s first audio came at once; the stall was after it')
})

t.test('the AI service drops mid-call: the call ends cleanly and the problem is recorded', async (t) => {
  fake.dropAfterGreeting = true
  t.teardown(() => { fake.dropAfterGreeting = false })
  const call = await conversationOf('DROPPED')
  t.match(call.conversation, { assistant: 'openai', outcome: null, problem: /OpenAI Realtime connection closed \(1011\)/ })
  t.equal(call.status, 'completed')
  t.match(lines.join('\n'), /assistant problem/)
})

t.test('a voicemail answers: the OpenAI assistant says its message for machines word for word after the beep, then hangs up', async (t) => {
  const made = await app.inject({
    method: 'POST',
    url: '/api/assistants',
    headers: { authorization },
    payload: {
      name: 'Leaves messages',
      kind: 'openai',
      config: {
        language: 'en',
        instructions: 'Remind {{ name }}.',
        first_message: { en: 'Hello {{ first_name }}, this is about your payment.' },
        outcomes: [{ name: 'confirmed' }],
        on_machine: 'leave-message',
        machine_message: { en: 'Hello {{ first_name }}, please call us back.' }
      }
    }
  })
  t.equal(made.statusCode, 201)
  const started = await app.inject({
    method: 'POST', url: '/api/trigger-single-call', headers: { authorization }, payload: { customer_id: 'VOICEMAIL', assistant_id: made.json().assistant.id }
  })
  let call: Record<string, any> = {}
  for (let i = 0; i < 400 && !(call.status === 'completed' && call.conversation?.ended_at); i++) {
    await new Promise((resolve) => setTimeout(resolve, 25))
    call = (await app.inject({ url: `/api/calls/${started.json().call.id as string}`, headers: { authorization } })).json().call
  }
  t.match(call, { answered_by: 'machine', conversation: { outcome: 'machine', outcome_detail: { left_message: true }, stop_reason: 'hung up by the assistant' } })
  t.equal(call.conversation.transcript.at(-1).text, 'Hello Vani, please call us back.')
  const events = fake.sessions.at(-1)!.events
  t.same(events.filter((event) => event.type.startsWith('response.')).map((event) => event.type), ['response.create', 'response.cancel', 'response.create'],
    'the greeting, whatever is active cancelled, then the message')
  t.equal(events.at(-1)!.response.instructions, 'Say exactly this, and nothing else: Hello Vani, please call us back.')
})
