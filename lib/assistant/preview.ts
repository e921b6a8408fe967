import type { AssistantConfig, OpenAIConfig, ScriptedConfig, Texts } from '../../schemas/assistants.js'
import { languageOf, type Language } from '../speech/languages.js'
import type { Speech } from '../speech/speech.js'
import { writeWav } from '../voice/audio.js'
import { voiceOf } from './scripted.js'
import type { AssistantKind } from './store.js'
import { textFor } from './settings.js'
import { parseTemplate, renderTemplate, valuesOf, type Part, type TemplateValues } from './template.js'

export interface PreviewedText {
  /** Which text: greeting, reply-1, spoke_instead, invalid_key, no_reply, goodbye, instructions, first_message, machine_message. */
  said: string
  language: Language
  text: string
  /** Fields the customer has no value for (spoken as their fallback, or left out). */
  missing: string[]
  /** Scripted: the audio as the customer will hear it, a WAV file in base64. */
  audio_wav?: string
}

const PREVIEW_FORMAT = { encoding: 'pcm16', sampleRate: 16000 } as const

/** The texts an assistant says, by name, in every language it has them. */
function spokenTexts (kind: AssistantKind, config: AssistantConfig): Array<[string, Texts]> {
  const machine: Array<[string, Texts]> = config.machine_message ? [['machine_message', config.machine_message]] : []
  if (kind === 'openai') {
    const openai = config as OpenAIConfig
    return [...openai.first_message ? [['first_message', openai.first_message] as [string, Texts]] : [], ...machine]
  }
  const scripted = config as ScriptedConfig
  return [
    ['greeting', scripted.greeting],
    ...scripted.choices.map((choice): [string, Texts] => [`reply-${choice.key}`, choice.reply]),
    ['spoke_instead', scripted.spoke_instead],
    ['invalid_key', scripted.invalid_key],
    ['no_reply', scripted.no_reply],
    ['goodbye', scripted.goodbye],
    ...machine
  ]
}

/** Every text of an assistant as one customer would have it, written out. */
export function renderTexts (kind: AssistantKind, config: AssistantConfig, customer: TemplateValues & { language: string | null }): PreviewedText[] {
  const values = valuesOf(customer)
  const customerLanguage = languageOf(customer.language)
  const render = (said: string, texts: Texts): PreviewedText => {
    const { text, language } = textFor(texts, customerLanguage, config.language)
    return { said, language, ...renderTemplate(parseTemplate(text), values, language) }
  }
  const instructions: PreviewedText[] = kind === 'openai'
    ? [render('instructions', { [customerLanguage ?? config.language]: (config as OpenAIConfig).instructions })]
    : []
  return [...instructions, ...spokenTexts(kind, config).map(([said, texts]) => render(said, texts))]
}

/**
 * What a customer lacks for an assistant's spoken texts: the fields named with no fallback that they have no
 * value for (a greeting that would say "Hello ,"). Each text is parsed once for every customer checked.
 */
export function unfilledChecker (kind: AssistantKind, config: AssistantConfig):
(customer: TemplateValues & { language: string | null }) => string[] {
  const parsed = new Map<string, Part[]>()
  const texts = spokenTexts(kind, config)
  return (customer) => {
    const values = valuesOf(customer)
    const customerLanguage = languageOf(customer.language)
    const unfilled = new Set<string>()
    for (const [said, byLanguage] of texts) {
      const { text, language } = textFor(byLanguage, customerLanguage, config.language)
      const key = `${said}.${language}`
      if (!parsed.has(key)) parsed.set(key, parseTemplate(text))
      for (const part of parsed.get(key)!) {
        if (typeof part !== 'string' && part.fallback === undefined && !values.has(part.field)) unfilled.add(part.field)
      }
    }
    return [...unfilled]
  }
}

/** Every text of an assistant as one customer would have it, and for a scripted one, spoken. */
export async function previewAssistant (kind: AssistantKind, config: AssistantConfig, customer: TemplateValues & { language: string | null },
  speech: Speech): Promise<{ texts: PreviewedText[] }> {
  const texts = renderTexts(kind, config, customer)
  if (kind === 'openai') return { texts }
  const voice = voiceOf(config as ScriptedConfig)
  for (const text of texts) {
    const audio: Buffer[] = []
    for await (const sentence of speech.say(text.text, { ...voice, language: text.language }, PREVIEW_FORMAT)) audio.push(sentence)
    text.audio_wav = writeWav(Buffer.concat(audio), PREVIEW_FORMAT.sampleRate).toString('base64')
  }
  return { texts }
}
