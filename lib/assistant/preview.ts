import type { AssistantConfig, OpenAIConfig, ScriptedConfig, Texts } from '../../schemas/assistants.js'
import { languageOf, type Language } from '../speech/languages.js'
import type { Speech } from '../speech/speech.js'
import { writeWav } from '../voice/audio.js'
import { voiceOf } from './scripted.js'
import type { AssistantKind } from './store.js'
import { textFor } from './settings.js'
import { parseTemplate, renderTemplate, valuesOf, type TemplateValues } from './template.js'

export interface PreviewedText {
  /** Which text: greeting, reply-1, spoke_instead, invalid_key, no_reply, goodbye, instructions, first_message. */
  said: string
  language: Language
  text: string
  /** Fields the customer has no value for (spoken as their fallback, or left out). */
  missing: string[]
  /** Scripted: the audio as the customer will hear it, a WAV file in base64. */
  audio_wav?: string
}

const PREVIEW_FORMAT = { encoding: 'pcm16', sampleRate: 16000 } as const

/** Every text of an assistant as one customer would have it, and for a scripted one, spoken. */
export async function previewAssistant (kind: AssistantKind, config: AssistantConfig, customer: TemplateValues & { language: string | null },
  speech: Speech): Promise<{ texts: PreviewedText[] }> {
  const values = valuesOf(customer)
  const customerLanguage = languageOf(customer.language)
  const render = (said: string, texts: Texts): PreviewedText => {
    const { text, language } = textFor(texts, customerLanguage, config.language)
    return { said, language, ...renderTemplate(parseTemplate(text), values, language) }
  }
  if (kind === 'openai') {
    const openai = config as OpenAIConfig
    const texts = [render('instructions', { [customerLanguage ?? openai.language]: openai.instructions })]
    if (openai.first_message) texts.push(render('first_message', openai.first_message))
    return { texts }
  }
  const scripted = config as ScriptedConfig
  const texts = [
    render('greeting', scripted.greeting),
    ...scripted.choices.map((choice) => render(`reply-${choice.key}`, choice.reply)),
    render('spoke_instead', scripted.spoke_instead),
    render('invalid_key', scripted.invalid_key),
    render('no_reply', scripted.no_reply),
    render('goodbye', scripted.goodbye)
  ]
  const voice = voiceOf(scripted)
  for (const text of texts) {
    const audio: Buffer[] = []
    for await (const sentence of speech.say(text.text, { ...voice, language: text.language }, PREVIEW_FORMAT)) audio.push(sentence)
    text.audio_wav = writeWav(Buffer.concat(audio), PREVIEW_FORMAT.sampleRate).toString('base64')
  }
  return { texts }
}
