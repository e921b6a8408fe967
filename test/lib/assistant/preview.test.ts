import t from 'tap'
import { paymentReminder } from '../../../lib/assistant/first-assistant.js'
import { previewAssistant } from '../../../lib/assistant/preview.js'
import { Speech } from '../../../lib/speech/speech.js'
import { readWav } from '../../../lib/voice/audio.js'

const speech = new Speech()
t.teardown(() => speech.close())
const someone = { id: 'S1', name: 'Meena Iyer', phone: '+919876543210', language: null, attributes: {} }

t.test("a preview for a customer with no language: the assistant's own, in its default voice", async (t) => {
  const { texts } = await previewAssistant('scripted', { ...paymentReminder(5000), voice: undefined }, someone, speech)
  t.match(texts[0], { said: 'greeting', language: 'en', text: /^Hello Meena, this is an automated call/ })
  const wav = readWav(Buffer.from(texts[0]!.audio_wav!, 'base64'))
  t.ok(wav.pcm.length / 2 / wav.sampleRate > 4, 'spoken')
  const openai = await previewAssistant('openai', {
    language: 'en', instructions: 'Call {{ first_name }}.', voice: 'alloy', model: 'm', outcomes: [{ name: 'done' }], max_duration_seconds: 60
  }, someone, speech)
  t.same(openai.texts, [{ said: 'instructions', language: 'en', text: 'Call Meena.', missing: [] }], 'no first message, nothing spoken')
})
