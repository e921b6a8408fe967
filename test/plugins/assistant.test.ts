import t from 'tap'
import { build } from '../helper.js'

t.test('ASSISTANT picks the voice assistant; auto takes OpenAI only with a key', async (t) => {
  const cases: Array<[Record<string, string>, string]> = [
    [{}, 'scripted'],
    [{ OPENAI_API_KEY: 'sk-test' }, 'openai'],
    [{ ASSISTANT: 'scripted', OPENAI_API_KEY: 'sk-test' }, 'scripted'],
    [{ ASSISTANT: 'echo' }, 'echo']
  ]
  for (const [env, name] of cases) {
    const app = await build(t, { env })
    t.equal(app.assistant.name, name, JSON.stringify(env))
    await app.close()
  }
})
