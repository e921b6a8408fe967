import t from 'tap'
import { ensureFirstAssistant } from '../../lib/assistant/first-assistant.js'
import { NoAssistantError } from '../../lib/assistant/registry.js'
import { archiveAssistant, getAssistant } from '../../lib/assistant/store.js'
import { applyReport, createCall } from '../../lib/calls/calls.js'
import { build, capturingLogger, until } from '../helper.js'

t.test('the first assistant, the default, is of the kind ASSISTANT picked: auto takes OpenAI only with a key', async (t) => {
  const cases: Array<[Record<string, string>, string]> = [
    [{}, 'scripted'],
    [{ OPENAI_API_KEY: 'sk-test' }, 'openai'],
    [{ ASSISTANT: 'scripted', OPENAI_API_KEY: 'sk-test' }, 'scripted']
  ]
  for (const [env, kind] of cases) {
    const app = await build(t, { env })
    const { rows } = await app.db.query<{ id: string }>('SELECT id FROM assistant WHERE is_default')
    t.equal(rows.length, 1, JSON.stringify(env))
    const first = (await getAssistant(app.db, rows[0]!.id))!
    t.match(first, { name: 'Payment reminder', kind, version: 1, created_by: 'system' }, JSON.stringify(env))
    t.equal((await app.assistants.at(first.id, 1)).name, kind, 'it runs as its kind')
    await app.close()
  }
})

t.test('ASSISTANT=echo puts the echo on every call, whatever the call names', async (t) => {
  const app = await build(t, { env: { ASSISTANT: 'echo' } })
  t.equal((await app.assistants.forCall('x', { id: '00000000-0000-0000-0000-000000000000', version: 9 })).name, 'echo')
  await app.close()
})

t.test('a call that names no assistant gets the default, pinned on it when its stream starts; the first is made once', async (t) => {
  const app = await build(t)
  await ensureFirstAssistant(app.db, { kind: 'scripted', replyTimeoutMs: 5000, openai: { instructions: 'x', voice: 'alloy', model: 'm' } })
  const { rows } = await app.db.query<{ id: string, version: number }>('SELECT id, version FROM assistant')
  t.equal(rows.length, 1, 'a second start makes no second first assistant')
  const call = await createCall(app.db, { customerId: 'C9', customerName: null, phone: '+919000000009', triggeredBy: 'test' })
  t.equal(call.assistant_id, null)
  t.equal((await app.assistants.forCall(call.id, null)).name, 'scripted')
  const pinned = await app.db.query('SELECT assistant_id, assistant_version FROM call WHERE id = $1', [call.id])
  t.same(pinned.rows[0], { assistant_id: rows[0]!.id, assistant_version: 1 })
  t.equal(app.assistants.make(`${rows[0]!.id}:1`, 'scripted', (await getAssistant(app.db, rows[0]!.id))!.config), await app.assistants.at(rows[0]!.id, 1), 'made once a version')
  t.throws(() => app.assistants.make(undefined, 'openai', { language: 'en', instructions: 'x', voice: 'alloy', model: 'm', outcomes: [], max_duration_seconds: 60 }),
    new NoAssistantError('An OpenAI assistant needs OPENAI_API_KEY, which is not configured'))
  const config = (await getAssistant(app.db, rows[0]!.id))!.config
  const first = app.assistants.make('k0', 'scripted', config)
  for (let i = 1; i <= 200; i++) app.assistants.make(`k${i}`, 'scripted', config)
  t.not(app.assistants.make('k0', 'scripted', config), first, 'at most 200 versions kept ready: the oldest let go')
  await t.rejects(app.assistants.at(rows[0]!.id, 7), new NoAssistantError(`There is no assistant ${rows[0]!.id} at version 7`))
  await app.db.query('UPDATE assistant SET is_default = false')
  t.equal(await archiveAssistant(app.db, rows[0]!.id), true)
  await t.rejects(app.assistants.forCall(call.id, null), new NoAssistantError('There is no default assistant'))
  await app.close()
})

t.test('the speech engine starts with the server, in the background (SPEECH_WARM_UP)', async (t) => {
  const { lines, logger } = capturingLogger()
  const app = await build(t, { logger, env: { SPEECH_WARM_UP: 'true' } })
  await until(async () => lines.some((line) => line.includes('speech engine ready')), 'the speech engine to be ready')
  t.match(JSON.parse(lines.find((line) => line.includes('speech engine ready'))!), { ms: Number })
  await app.close()
})

t.test('a server stopped while its own speech engine warms up logs no failure', async (t) => {
  const { lines, logger } = capturingLogger('debug')
  const app = await build(t, { logger, env: { SPEECH_WARM_UP: 'true' }, speechEngine: undefined })
  // Urgent, so ahead of the warm-up's sentences after the first: once it is said, the engine is still warming up.
  await app.speech.phrase('Hello', { language: 'en', gender: 'female', rate: 150 }, { encoding: 'pcm16', sampleRate: 8000 }, true)
  await app.close()
  await new Promise((resolve) => setImmediate(resolve)) // the warm-up's end, had it logged one (after the engine's exit)
  t.same(lines.filter((line) => line.includes('speech engine did not start')), [], 'a warm-up cut short is no failure')
  t.same(lines.filter((line) => JSON.parse(line).level >= 50), [], 'no error at all')
})

t.test("while a call rings, its greeting is made ahead with the customer's name, once", async (t) => {
  const app = await build(t)
  const prepared: string[] = []
  const prepare = app.speech.prepare.bind(app.speech)
  app.speech.prepare = async (text, voice, format) => { prepared.push(`${voice.language}:${format.sampleRate}:${text}`); await prepare(text, voice, format) }
  await app.db.query("INSERT INTO customer (id, name, phone, language) VALUES ('R1', 'Ravi Kumar', '+919000000001', 'hi')")
  const call = await createCall(app.db, { customerId: 'R1', customerName: 'Ravi Kumar', phone: '+919000000001', triggeredBy: 'test' })
  for (const status of ['initiated', 'ringing'] as const) {
    await applyReport(app.db, { id: call.id }, { status, source: 'test', dedupeKey: status, detail: {} })
  }
  for (let i = 0; i < 200 && prepared.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 25))
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.same(prepared, ['hi:8000:नमस्ते Ravi, यह आपके खाते के बारे में एक स्वचालित कॉल है। अपना भुगतान पक्का करने के लिए 1 दबाइए। बाद में कॉल के लिए 2 दबाइए।'],
    'the Hindi greeting, for the usual stream format, once for its ringing')
  await app.db.query('UPDATE assistant SET is_default = false')
  await app.assistants.prepare(call.id) // a call of no assistant: nothing to make
  t.equal(prepared.length, 1)
  await app.close()
  const echo = await build(t, { env: { ASSISTANT: 'echo' } })
  await echo.assistants.prepare(call.id) // the echo says nothing first (and this call is not in its database)
  await echo.close()
})
