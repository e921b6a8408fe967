import t from 'tap'
import { getAssistant } from '../../lib/assistant/store.js'
import { build } from '../helper.js'

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
