import type { AssistantConfig, OpenAIConfig, ScriptedConfig, Texts } from '../../schemas/assistants.js'
import type { Queryable } from '../db/database.js'
import { LANGUAGES, type Language } from '../speech/languages.js'
import type { AssistantKind } from './store.js'
import { CUSTOMER_FIELDS, fieldName, parseTemplate, templateFields } from './template.js'

/** Outcomes the scripted assistant records by itself: nothing pressed after every retry, and the caller hung up. */
export const SCRIPTED_OWN_OUTCOMES = ['no-response', 'hung-up']
/** The outcome of a call an answering machine took, whichever assistant (when it left a message or hung up). */
export const MACHINE_OUTCOME = 'machine'
/** The outcome an assistant declares to hand calls to a person (a scripted choice's, or the OpenAI assistant's hand_off tool). */
export const HANDOFF_OUTCOME = 'handoff'

/** Whether an assistant hands calls to a person: it declares the handoff outcome. */
export function handsOff (config: AssistantConfig): boolean {
  return config.outcomes.some((outcome) => outcome.name === HANDOFF_OUTCOME)
}

export class SettingsError extends Error {}

/** Every outcome a call with this assistant may end with. */
export function outcomesOf (kind: AssistantKind, config: AssistantConfig): string[] {
  const declared = config.outcomes.map((outcome) => outcome.name)
  const machine = (config.on_machine ?? 'speak-on') === 'speak-on' ? [] : [MACHINE_OUTCOME]
  return [...new Set([...declared, ...kind === 'scripted' ? SCRIPTED_OWN_OUTCOMES : [], ...machine])]
}

/** The fields templates may name: every customer's own, and every column an upload has had. */
export async function knownFields (db: Queryable): Promise<Set<string>> {
  const { rows } = await db.query<{ column: string }>(
    "SELECT DISTINCT unnest(columns) AS column FROM customer_upload WHERE status = 'completed'")
  return new Set([...CUSTOMER_FIELDS, ...rows.map((row) => fieldName(row.column))])
}

/**
 * What the schema cannot say about an assistant's settings, checked before anything is saved: every template
 * parses and names known fields, every text has the assistant's language, keys and names are not repeated, and
 * every choice's outcome is declared. Throws a SettingsError naming the first problem (as `config.greeting.hi`).
 */
export function checkSettings (kind: AssistantKind, config: AssistantConfig, fields: Set<string>): void {
  const texts: Array<[string, Texts]> = []
  const templates: Array<[string, string]> = []
  repeated(config.outcomes.map((outcome) => outcome.name), 'config.outcomes', 'name')
  if (config.on_machine === 'leave-message' && !config.machine_message) {
    throw new SettingsError('config.on_machine is leave-message: config.machine_message says what to leave')
  }
  if (config.machine_message) texts.push(['config.machine_message', config.machine_message])
  if (kind === 'scripted') {
    const scripted = config as ScriptedConfig
    for (const name of ['greeting', 'spoke_instead', 'invalid_key', 'no_reply', 'goodbye'] as const) texts.push([`config.${name}`, scripted[name]])
    scripted.choices.forEach((choice, index) => texts.push([`config.choices[${index}].reply`, choice.reply]))
    repeated(scripted.choices.map((choice) => choice.key), 'config.choices', 'key')
    const declared = new Set(scripted.outcomes.map((outcome) => outcome.name))
    scripted.choices.forEach((choice, index) => {
      if (!declared.has(choice.outcome)) {
        throw new SettingsError(`config.choices[${index}].outcome '${choice.outcome}' is not one of config.outcomes`)
      }
    })
  } else {
    const openai = config as OpenAIConfig
    templates.push(['config.instructions', openai.instructions])
    if (openai.first_message) texts.push(['config.first_message', openai.first_message])
    openai.outcomes.forEach((outcome, index) => repeated((outcome.fields ?? []).map((field) => field.name), `config.outcomes[${index}].fields`, 'name'))
  }
  for (const [where, byLanguage] of texts) {
    if (byLanguage[config.language] === undefined) {
      throw new SettingsError(`${where} has no text in ${config.language} (${LANGUAGES[config.language].name}), the assistant's language`)
    }
    for (const [language, text] of Object.entries(byLanguage)) if (text !== undefined) templates.push([`${where}.${language}`, text])
  }
  for (const [where, text] of templates) {
    let parts
    try {
      parts = parseTemplate(text)
    } catch (error) { // a TemplateError, saying where in the text
      throw new SettingsError(`${where}: ${(error as Error).message}`)
    }
    const unknown = templateFields(parts).find((field) => !fields.has(field))
    if (unknown) {
      throw new SettingsError(`${where} names the field '${unknown}', which no customer has: use ${CUSTOMER_FIELDS.join(', ')} ` +
        'or a column of an uploaded file')
    }
  }
}

function repeated (values: string[], where: string, what: string) {
  const seen = new Set<string>()
  values.forEach((value, index) => {
    if (seen.has(value)) throw new SettingsError(`${where}[${index}].${what} '${value}' is given twice`)
    seen.add(value)
  })
}

/** A text in the customer's language, else in the assistant's own (then `fellBack` says so). */
export function textFor<T> (texts: Partial<Record<Language, T>>, customerLanguage: Language | undefined, assistantLanguage: Language):
{ text: T, language: Language, fellBack: boolean } {
  const own = customerLanguage === undefined ? undefined : texts[customerLanguage]
  if (own !== undefined) return { text: own, language: customerLanguage!, fellBack: false }
  return { text: texts[assistantLanguage]!, language: assistantLanguage, fellBack: customerLanguage !== undefined }
}
