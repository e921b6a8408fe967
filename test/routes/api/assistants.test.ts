import t from 'tap'
import { createAssistant } from '../../../lib/assistant/store.js'
import { readWav } from '../../../lib/voice/audio.js'
import { appWithCustomers, FAST_CALLS, says, scriptedConfig, until } from '../../helper.js'

const scripted = (changes: Record<string, unknown> = {}) => scriptedConfig({
  voice: { gender: 'male', rate: 160 },
  greeting: says('Hello {{ first_name }}, you owe {{ amount_due | rupees }} by {{ due_date | date }}. Press 1 to confirm.',
    { hi: 'नमस्ते {{ first_name }}, आपके {{ amount_due | rupees }} बाकी हैं। पुष्टि के लिए 1 दबाइए।' }),
  choices: [{ key: '1', outcome: 'confirmed', reply: says('Thank you.') }, { key: '#', outcome: 'callback', reply: says('We will call later.') }],
  retries: 1,
  reply_timeout_seconds: 0.3,
  outcomes: [{ name: 'confirmed', final: true }, { name: 'callback', follow_up: true }],
  ...changes
})

const CSV = 'customer_id,name,phone,language,Amount Due,due_date\n' +
  'HI1,Asha Rao,9000000000,Hindi,"₹1,200",2026-12-05\nEN1,Ravi Kumar,9000000001,en,300,05/12/2026\n'

t.test('assistants: made, listed, changed into new versions, archived; each refusal names what is wrong and saves nothing', async (t) => {
  const { app, post, get, authorization } = await appWithCustomers(t, FAST_CALLS, CSV)
  const patch = (url: string, payload: object) => app.inject({ method: 'PATCH', url, payload, headers: { authorization } })
  const remove = (url: string) => app.inject({ method: 'DELETE', url, headers: { authorization } })

  const fields = (await get('/api/assistants/fields')).json()
  t.same(fields.fields.slice(0, 6), ['name', 'first_name', 'phone_last4', 'customer_id', 'language', 'details'])
  t.same(fields.fields.slice(6).sort(), ['amount_due', 'due_date'], "the upload's own columns, as templates name them")
  t.same(fields.languages[1], { code: 'hi', name: 'Hindi' })
  const first = (await get('/api/assistants')).json()
  t.match(first, { success: true, total: 1, assistants: [{ name: 'Payment reminder', kind: 'scripted', version: 1, default: true }] })
  t.same(first.assistants[0].outcomes, ['confirmed', 'callback', 'no-response', 'hung-up'], 'its outcomes, its own included')

  const made = await post('/api/assistants', { name: 'Dues', kind: 'scripted', config: scripted() })
  t.equal(made.statusCode, 201)
  const assistant = made.json().assistant
  t.match(assistant, { name: 'Dues', kind: 'scripted', version: 1, default: false, archived_at: null, config: { retries: 1 } })
  const url = `/api/assistants/${assistant.id as string}`

  const refusals: Array<[Record<string, unknown>, string]> = [
    [{ greeting: says('Dear {{ amout_due }}') }, "config.greeting.en names the field 'amout_due', which no customer has"],
    [{ greeting: says('Hello {{ name') }, 'config.greeting.en: "{{" at character 7 is not closed with "}}"'],
    [{ greeting: says('Hi {{ name | money }}') }, 'config.greeting.en: "{{name | money}}" at character 4: unknown filter "money"'],
    [{ greeting: { hi: 'नमस्ते' } }, "config.greeting has no text in en (English), the assistant's language"],
    [{ choices: [{ key: '1', outcome: 'confirmed', reply: says('a') }, { key: '1', outcome: 'callback', reply: says('b') }] }, "config.choices[1].key '1' is given twice"],
    [{ choices: [{ key: '1', outcome: 'paid', reply: says('a') }] }, "config.choices[0].outcome 'paid' is not one of config.outcomes"],
    [{ outcomes: [{ name: 'confirmed' }, { name: 'confirmed' }] }, "config.outcomes[1].name 'confirmed' is given twice"],
    [{ choices: [{ key: '10', outcome: 'confirmed', reply: says('a') }] }, 'body.config.choices[0].key must NOT have more than 1 characters'],
    [{ choices: [{ key: 'a', outcome: 'confirmed', reply: says('a') }] }, 'body.config.choices[0].key must match pattern "^[0-9*#]$"'],
    [{ outcomes: [{ name: 'Confirmed!' }] }, 'body.config.outcomes[0].name must match pattern "^[a-z0-9-]{1,40}$"'],
    [{ language: 'fr' }, 'body.config.language must be one of en, hi, bn, ta, te, kn, ml, mr, gu, pa, ur, or, as, ne'],
    [{ on_machine: 'leave-message' }, 'config.on_machine is leave-message: config.machine_message says what to leave'],
    [{ on_machine: 'voicemail' }, 'body.config.on_machine must be one of speak-on, leave-message, hang-up'],
    [{ on_machine: 'leave-message', machine_message: { hi: 'नमस्ते' } }, "config.machine_message has no text in en (English), the assistant's language"],
    [{ machine_message: says('Call us back, {{ nmae }}') }, "config.machine_message.en names the field 'nmae', which no customer has"]
  ]
  for (const [change, message] of refusals) {
    const refused = await post('/api/assistants', { name: 'Bad', kind: 'scripted', config: scripted(change) })
    t.equal(refused.statusCode, 400, message)
    t.match(refused.json(), { success: false, message: message.startsWith('body') ? message : new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`) })
  }
  const openai = await post('/api/assistants', {
    name: 'AI', kind: 'openai', config: { language: 'en', instructions: 'Be brief', voice: 'alloy', model: 'gpt-realtime', outcomes: [{ name: 'done' }], max_duration_seconds: 300 }
  })
  t.same(openai.json(), { success: false, message: 'An OpenAI assistant needs OPENAI_API_KEY, which this server does not have' })
  t.equal((await get('/api/assistants')).json().total, 2, 'nothing refused was saved')

  // A change is a new version; the old one stays as it was.
  const changed = await patch(url, { kind: 'scripted', name: 'Dues (polite)', config: scripted({ goodbye: says('Goodbye, and thank you.') }) })
  t.equal(changed.statusCode, 200)
  t.match(changed.json().assistant, { name: 'Dues (polite)', version: 2, config: { goodbye: { en: 'Goodbye, and thank you.' } } })
  t.match((await patch(url, { kind: 'scripted', default: true })).json().assistant, { version: 3, default: true, name: 'Dues (polite)' })
  const versions = (await get(`${url}/versions`)).json().versions
  t.same(versions.map((version: { version: number, name: string }) => [version.version, version.name]), [[3, 'Dues (polite)'], [2, 'Dues (polite)'], [1, 'Dues']])
  t.same(versions[2].config.goodbye, { en: 'Goodbye.' }, 'version 1 kept its words')
  t.equal((await patch(url, { kind: 'scripted', config: scripted({ retries: 9 }) })).statusCode, 400)
  t.same((await patch(url, { kind: 'openai', name: 'x' })).json(), { success: false, message: 'body.kind: this assistant is scripted, and its kind cannot change' })
  t.equal((await get(`${url}/versions`)).json().versions.length, 3, 'refused changes made no version')

  // Only one default; the default cannot be archived; an archived assistant is read, not changed or used.
  const reminder = first.assistants[0].id as string
  t.match((await get(`/api/assistants/${reminder}`)).json().assistant, { default: false })
  t.same((await remove(url)).json(), { success: false, message: 'This is the default assistant: make another the default before archiving it' })
  t.same((await remove(`/api/assistants/${reminder}`)).json(), { success: true, message: 'Assistant archived' })
  t.same((await remove(`/api/assistants/${reminder}`)).json(), { success: true, message: 'The assistant was already archived' })
  t.match((await get(`/api/assistants/${reminder}`)).json().assistant, { archived_at: String })
  t.equal((await get(`/api/assistants/${reminder}/versions`)).json().versions.length, 1, 'its versions stay readable')
  t.same((await patch(`/api/assistants/${reminder}`, { kind: 'scripted', name: 'Back' })).json(), { success: false, message: 'This assistant is archived: it cannot change' })
  t.same((await get('/api/assistants')).json().assistants.map((listed: { id: string }) => listed.id), [assistant.id], 'archived ones are not listed')
  const archivedCall = await post('/api/trigger-single-call', { customer_id: 'EN1', assistant_id: reminder })
  t.same({ status: archivedCall.statusCode, body: archivedCall.json() }, { status: 409, body: { success: false, message: 'This assistant is archived: choose another' } })
  const unknown = '00000000-0000-4000-8000-000000000000'
  for (const path of [`/api/assistants/${unknown}`, `/api/assistants/${unknown}/versions`]) {
    t.same((await get(path)).json(), { success: false, message: 'Assistant not found' })
  }
  t.equal((await remove(`/api/assistants/${unknown}`)).statusCode, 404)
  t.same((await post('/api/trigger-bulk-calls', { customer_ids: ['EN1'], assistant_id: unknown })).json(), { success: false, message: 'Assistant not found' })
})

t.test('a preview is what a customer hears: their details in their language, spoken; sample fields for one not uploaded', async (t) => {
  const { app, post } = await appWithCustomers(t, FAST_CALLS, CSV)
  const { assistant } = (await post('/api/assistants', { name: 'Dues', kind: 'scripted', config: scripted() })).json()
  const preview = await post(`/api/assistants/${assistant.id as string}/preview`, { customer_id: 'HI1' })
  t.equal(preview.statusCode, 200)
  const { texts, version } = preview.json()
  t.equal(version, 1)
  t.same(texts.map((text: { said: string }) => text.said), ['greeting', 'reply-1', 'reply-#', 'spoke_instead', 'invalid_key', 'no_reply', 'goodbye'])
  t.match(texts[0], { language: 'hi', text: 'नमस्ते Asha, आपके 1200 रुपये बाकी हैं। पुष्टि के लिए 1 दबाइए।', missing: [] })
  t.match(texts[1], { language: 'en', text: 'Thank you.' }, "a text without the customer's language is said in the assistant's")
  const wav = readWav(Buffer.from(texts[0].audio_wav, 'base64'))
  const seconds = wav.pcm.length / 2 / wav.sampleRate
  t.equal(wav.sampleRate, 16000)
  t.ok(seconds > 3 && seconds < 15, `the Hindi greeting is speech of its length (${seconds} s)`)

  const english = (await post(`/api/assistants/${assistant.id as string}/preview`, { customer_id: 'EN1' })).json()
  t.equal(english.texts[0].text, 'Hello Ravi, you owe 300 rupees by 5 December. Press 1 to confirm.', 'a day-first date, as India writes it')
  const sample = (await post(`/api/assistants/${assistant.id as string}/preview`, { fields: { name: 'Meena Iyer' }, language: 'hi' })).json()
  t.match(sample.texts[0], { text: 'नमस्ते Meena, आपके बाकी हैं। पुष्टि के लिए 1 दबाइए।', missing: ['amount_due'] })
  t.same((await post(`/api/assistants/${assistant.id as string}/preview`, { customer_id: 'NOPE' })).json(), { success: false, message: 'Customer not found' })
  t.match((await post(`/api/assistants/${assistant.id as string}/preview`, {})).json().texts[0],
    { language: 'en', text: 'Hello, you owe by. Press 1 to confirm.', missing: ['first_name', 'amount_due', 'due_date'] }, 'no customer at all: every field missing')
  // An OpenAI assistant (made here without a key: its preview needs none) shows its texts, and speaks none.
  const ai = await createAssistant(app.db, {
    name: 'AI',
    kind: 'openai',
    createdBy: 'test',
    config: { language: 'en', instructions: 'Call {{ name }} in {{ language }}.', first_message: { en: 'Hi {{ first_name }}' }, voice: 'alloy', model: 'm', outcomes: [{ name: 'done' }], max_duration_seconds: 60 }
  })
  t.same((await post(`/api/assistants/${ai.id}/preview`, { customer_id: 'HI1' })).json().texts, [
    { said: 'instructions', language: 'hi', text: 'Call Asha Rao in Hindi.', missing: [] },
    { said: 'first_message', language: 'en', text: 'Hi Asha', missing: [] }
  ])
  t.same((await post(`/api/assistants/${ai.id}/rehearse`, { customer_id: 'HI1' })).json(),
    { success: false, message: 'An OpenAI assistant needs OPENAI_API_KEY, which is not configured' }, 'no key: no rehearsal')
  t.same((await post(`/api/assistants/${assistant.id as string}/preview`, { customer_id: 'EN1', fields: {} })).json(),
    { success: false, message: 'body: give customer_id or fields, not both' })
})

t.test('a call talks with the assistant it names, pinned at the version it started with; the greeting is spoken in Hindi with the amount', async (t) => {
  const { app, post, get, authorization } = await appWithCustomers(t, FAST_CALLS, CSV)
  const { assistant } = (await post('/api/assistants', { name: 'Dues', kind: 'scripted', config: scripted() })).json()
  const started = await post('/api/trigger-single-call', { customer_id: 'HI1', assistant_id: assistant.id })
  t.match(started.json().call, { assistant_id: assistant.id, assistant_version: 1 })
  // A change after the call started is not what that call says.
  await app.inject({
    method: 'PATCH',
    url: `/api/assistants/${assistant.id as string}`,
    payload: { kind: 'scripted', config: scripted({ greeting: says('Changed. Press 1.', { hi: 'बदला। 1 दबाइए।' }) }) },
    headers: { authorization }
  })
  let call: Record<string, any> = {}
  await until(async () => {
    call = (await get(`/api/calls/${started.json().call.id as string}`)).json().call
    return call.status === 'completed' && call.conversation?.ended_at
  }, 'the call ends')
  t.match(call.conversation.transcript[0], { speaker: 'assistant', text: 'नमस्ते Asha, आपके 1200 रुपये बाकी हैं। पुष्टि के लिए 1 दबाइए।' })
  t.equal(call.conversation.outcome, 'confirmed')
  const simulated = app.telephony.simulator!.calls.get(call.exotel_sid)!
  t.ok(simulated.bot.audioBytes > 16000 * 3, `the greeting was streamed as speech (${simulated.bot.audioBytes} bytes)`)

  // A call that names none is pinned to the default's latest version when it starts.
  const plain = (await post('/api/trigger-single-call', { customer_id: 'EN1' })).json().call
  const reminder = (await get('/api/assistants')).json().assistants.find((listed: { default: boolean }) => listed.default)
  t.match(plain, { assistant_id: reminder.id, assistant_version: 1 })
})

t.test('a rehearsal runs the assistant against five simulated callers over the live-call path; nobody is dialled, nothing stored', async (t) => {
  const { app, post } = await appWithCustomers(t, FAST_CALLS, CSV)
  const { assistant } = (await post('/api/assistants', { name: 'Dues', kind: 'scripted', config: scripted({ reply_timeout_seconds: 3 }) })).json()
  const callsBefore = (await app.db.query('SELECT count(*)::int AS n FROM call')).rows[0]
  const started = Date.now()
  const rehearsal = await post(`/api/assistants/${assistant.id as string}/rehearse`, { customer_id: 'HI1' })
  t.equal(rehearsal.statusCode, 200)
  const { callers, version, speedup } = rehearsal.json()
  t.match({ version, speedup }, { version: 1, speedup: 10 })
  t.ok(Date.now() - started < 20_000, `ten times faster than calls (${Date.now() - started} ms)`)
  const by = Object.fromEntries(callers.map((caller: { caller: string }) => [caller.caller, caller]))
  const greeting = 'नमस्ते Asha, आपके 1200 रुपये बाकी हैं। पुष्टि के लिए 1 दबाइए।'
  t.match(by.confirms, { does: 'listens, then presses 1', outcome: 'confirmed', dtmf: '1', barge_ins: 0, stop_reason: 'hung up by the assistant', problem: null })
  t.same(by.confirms.transcript, [
    { speaker: 'assistant', text: greeting }, { speaker: 'caller', text: '(pressed 1)' }, { speaker: 'assistant', text: 'Thank you.' }
  ], 'the transcript holds the rendered Hindi greeting')
  const preview = (await post(`/api/assistants/${assistant.id as string}/preview`, { customer_id: 'HI1' })).json()
  const wav = readWav(Buffer.from(preview.texts[0].audio_wav, 'base64'))
  const greetingSeconds = wav.pcm.length / 2 / wav.sampleRate
  t.ok(by.confirms.assistant_audio_seconds >= greetingSeconds - 0.3 && by.confirms.assistant_audio_seconds < greetingSeconds + 4,
    `the audio sent is the greeting's speech and a short thanks (${by.confirms.assistant_audio_seconds} s; the greeting ${greetingSeconds.toFixed(1)} s)`)
  t.match(by['asks-callback'], { does: 'listens, then presses #', outcome: 'callback', dtmf: '#' })
  t.match(by['talks-over'], { outcome: 'confirmed', dtmf: '1', barge_ins: 1 })
  t.match(by['talks-over'].transcript.map((line: { text: string }) => line.text), [greeting, '(spoke)', 'Please use the keypad.', '(pressed 1)', 'Thank you.'])
  t.match(by['stays-silent'], { outcome: 'no-response', dtmf: '' })
  t.same(by['stays-silent'].transcript.map((line: { text: string }) => line.text), [greeting, 'Are you there?', 'Goodbye.'])
  t.match(by['wrong-key'], { does: 'presses 0, which is not a choice, then nothing', dtmf: '0', outcome: 'no-response' })
  t.match(by['wrong-key'].transcript[2], { text: 'That is not a choice.' })
  t.same(by.confirms.notes, [{ assistant: 'language', said: 'reply-1', asked: 'hi', spoken: 'en', reason: 'the assistant has no text in that language' }])
  t.same((await app.db.query('SELECT count(*)::int AS n FROM call')).rows[0], callsBefore, 'no call recorded')
  t.equal(app.telephony.simulator!.calls.size, 0, 'nobody dialled')

  // With no speech (the engine gone), every caller's rehearsal says so.
  await app.speech.close()
  const silent = (await post(`/api/assistants/${assistant.id as string}/rehearse`, { customer_id: 'EN1' })).json()
  t.same(silent.callers.map((caller: { problem: string }) => caller.problem), Array(5).fill('Speech synthesis failed: the speech engine is closed'))
})
