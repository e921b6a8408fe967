import { Type, type Static, type TOptional, type TSchema, type TString } from '@sinclair/typebox'
import { LANGUAGES } from '../lib/speech/languages.js'
import { Nullable, Timestamp } from './common.js'

const CODES = Object.keys(LANGUAGES) as Array<keyof typeof LANGUAGES>

export const LanguageCode = Type.Union(CODES.map((code) => Type.Literal(code)), {
  description: `A language the embedded speech engine speaks: ${CODES.map((code) => `${code} (${LANGUAGES[code].name})`).join(', ')}`
})

/** One text in several languages: the customer's `language` picks one, else the assistant's `language`. */
export const Texts = Type.Object(
  Object.fromEntries(CODES.map((code) => [code, Type.Optional(Type.String({ minLength: 1, maxLength: 1000 }))])) as
    Record<keyof typeof LANGUAGES, TOptional<TString>>,
  {
    additionalProperties: false,
    minProperties: 1,
    description: 'By language code, e.g. {"en": "Hello {{ first_name }}", "hi": "नमस्ते {{ first_name }}"}. Templates: ' +
      '{{ field }}, {{ field | rupees }}, {{ field | date }}, {{ field | default: "text" }}; a field is name, ' +
      'first_name, phone_last4, customer_id or a column of an uploaded file'
  }
)

export const OutcomeName = Type.String({
  pattern: '^[a-z0-9-]{1,40}$', maxLength: 40, description: 'Lower case letters, digits and dashes, e.g. confirmed, callback'
})

const OutcomeCommon = {
  name: OutcomeName,
  description: Type.Optional(Type.String({ maxLength: 500, description: 'What it means (the OpenAI assistant is told)' })),
  follow_up: Type.Optional(Type.Boolean({ description: 'The customer is to be called again (a callback)' })),
  final: Type.Optional(Type.Boolean({ description: "Ends the customer's part of a campaign (e.g. confirmed)" }))
}

export const ScriptedOutcome = Type.Object(OutcomeCommon, { additionalProperties: false })

export const OutcomeField = Type.Object({
  name: Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$', maxLength: 40, description: 'e.g. promise_to_pay_date' }),
  type: Type.Union([Type.Literal('string'), Type.Literal('number'), Type.Literal('date'), Type.Literal('boolean')]),
  description: Type.Optional(Type.String({ maxLength: 500 })),
  required: Type.Optional(Type.Boolean())
}, { additionalProperties: false })

export const OpenAIOutcome = Type.Object({
  ...OutcomeCommon,
  fields: Type.Optional(Type.Array(OutcomeField, { maxItems: 10, description: 'Recorded with the outcome as typed JSON' }))
}, { additionalProperties: false })

export const Voice = Type.Object({
  gender: Type.Union([Type.Literal('female'), Type.Literal('male')], { default: 'female' }),
  rate: Type.Integer({ minimum: 80, maximum: 300, default: 150, description: 'Words a minute' })
}, { additionalProperties: false })

export const Choice = Type.Object({
  key: Type.String({ pattern: '^[0-9*#]$', maxLength: 1, description: 'A keypad key: 0-9, * or #' }),
  outcome: OutcomeName,
  reply: Texts
}, { additionalProperties: false })

/** What an assistant does when an answering machine picks up (a voicemail, a network message, an IVR). */
const MachineHandling = {
  on_machine: Type.Optional(Type.Union([Type.Literal('speak-on'), Type.Literal('leave-message'), Type.Literal('hang-up')], {
    default: 'speak-on',
    description: 'When the first seconds of the call tell an answering machine (or Exotel says so): speak-on (as to a person), ' +
      'leave-message (wait for its beep or the end of its greeting, say machine_message, hang up) or hang-up. ' +
      'Either way the call counts as not reached for retries'
  })),
  machine_message: Type.Optional({ ...Texts, description: 'What leave-message says to the machine; templates as in the other texts' })
}

export const ScriptedConfig = Type.Object({
  language: LanguageCode,
  voice: Type.Optional(Voice),
  greeting: Texts,
  choices: Type.Array(Choice, { minItems: 1, maxItems: 12, description: 'The keys the caller may press' }),
  spoke_instead: Texts,
  invalid_key: Texts,
  no_reply: Texts,
  goodbye: Texts,
  retries: Type.Integer({ minimum: 0, maximum: 5, default: 2, description: 'How many times to ask again when nothing comes' }),
  reply_timeout_seconds: Type.Number({ minimum: 0.2, maximum: 60, default: 6, description: 'How long to wait for a key, in seconds (e.g. 6 or 4.5)' }),
  outcomes: Type.Array(ScriptedOutcome, { minItems: 1, maxItems: 20, description: "The choices' outcomes" }),
  ...MachineHandling
}, { additionalProperties: false })

export const OpenAIConfig = Type.Object({
  language: LanguageCode,
  instructions: Type.String({ minLength: 1, maxLength: 8000, description: 'What the model is told; templates allowed' }),
  first_message: Type.Optional(Texts),
  voice: Type.String({
    pattern: '^[a-z0-9_-]{1,40}$', maxLength: 40, default: 'alloy', description: 'An OpenAI voice: alloy, ash, ballad, coral, echo, sage, shimmer, verse, marin, cedar, ...'
  }),
  model: Type.String({ pattern: '^[a-zA-Z0-9._-]{1,100}$', maxLength: 100, default: 'gpt-realtime' }),
  outcomes: Type.Array(OpenAIOutcome, { minItems: 1, maxItems: 20 }),
  max_duration_seconds: Type.Integer({ minimum: 30, maximum: 3600, default: 600 }),
  ...MachineHandling
}, { additionalProperties: false })

export type ScriptedConfig = Static<typeof ScriptedConfig>
export type OpenAIConfig = Static<typeof OpenAIConfig>
export type AssistantConfig = ScriptedConfig | OpenAIConfig
export type Texts = Static<typeof Texts>

const Name = Type.String({ minLength: 1, maxLength: 100 })
const MakeDefault = Type.Optional(Type.Literal(true, { description: 'Used by calls and campaigns that name no assistant' }))

/**
 * `oneOf` by `kind` (Ajv's discriminator): an error names the fields of the kind sent, not of every kind. The kinds'
 * shapes are named schemas (registered once, see schemas/shared.ts), as OpenAPI's discriminator needs them.
 */
function byKind<T extends TSchema[]> (schemas: [...T], description: string) {
  return Type.Unsafe<Static<T[number]>>({
    type: 'object', required: ['kind'], discriminator: { propertyName: 'kind' }, oneOf: schemas.map((schema) => Type.Ref(schema)), description
  })
}

export const NewScriptedAssistant = Type.Object({ name: Name, kind: Type.Literal('scripted'), config: ScriptedConfig, default: MakeDefault },
  { additionalProperties: false, $id: 'NewScriptedAssistant' })
export const NewOpenAIAssistant = Type.Object({ name: Name, kind: Type.Literal('openai'), config: OpenAIConfig, default: MakeDefault },
  { additionalProperties: false, $id: 'NewOpenAIAssistant' })
export const CreateAssistantBody = byKind([NewScriptedAssistant, NewOpenAIAssistant],
  'kind picks the config: scripted (keypad, spoken offline) or openai (OpenAI Realtime)')

export const ScriptedAssistantChange = Type.Object({
  name: Type.Optional(Name), kind: Type.Literal('scripted'), config: Type.Optional(ScriptedConfig), default: MakeDefault
}, { additionalProperties: false, $id: 'ScriptedAssistantChange' })
export const OpenAIAssistantChange = Type.Object({
  name: Type.Optional(Name), kind: Type.Literal('openai'), config: Type.Optional(OpenAIConfig), default: MakeDefault
}, { additionalProperties: false, $id: 'OpenAIAssistantChange' })
export const ChangeAssistantBody = byKind([ScriptedAssistantChange, OpenAIAssistantChange],
  'A new version with the name and config given (the rest as they were); kind is the assistant\'s own and cannot change')

/** The schemas routes reference by $id. */
export const assistantBodies = [NewScriptedAssistant, NewOpenAIAssistant, ScriptedAssistantChange, OpenAIAssistantChange]

export const AssistantParams = Type.Object({ id: Type.String({ format: 'uuid', maxLength: 36 }) }, { additionalProperties: false })

export const Assistant = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: Type.Union([Type.Literal('scripted'), Type.Literal('openai')]),
  version: Type.Integer({ description: 'The latest version: calls record the one they used' }),
  default: Type.Boolean(),
  config: Type.Union([ScriptedConfig, OpenAIConfig]),
  outcomes: Type.Array(Type.String(), { description: 'Every outcome a call with it may end with, those it records itself included' }),
  created_by: Type.String(),
  created_at: Timestamp,
  updated_at: Timestamp,
  archived_at: Nullable(Timestamp)
})

export const AssistantResponse = Type.Object({ success: Type.Literal(true), assistant: Assistant })

export const AssistantListQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  offset: Type.Integer({ minimum: 0, maximum: 2_147_483_647, default: 0 })
}, { additionalProperties: false })

export const AssistantList = Type.Object({ success: Type.Literal(true), assistants: Type.Array(Assistant), total: Type.Integer() })

export const AssistantVersion = Type.Object({
  version: Type.Integer(),
  name: Type.String(),
  config: Type.Union([ScriptedConfig, OpenAIConfig]),
  created_by: Type.String(),
  created_at: Timestamp
})

export const AssistantVersionList = Type.Object({ success: Type.Literal(true), versions: Type.Array(AssistantVersion) })

export const PreviewBody = Type.Object({
  customer_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'An uploaded customer' })),
  fields: Type.Optional(Type.Record(Type.String({ pattern: '^[a-z0-9_]{1,64}$' }), Type.String({ maxLength: 500 }), {
    maxProperties: 100, description: 'Sample values instead of a customer: {"name": "Asha Rao", "amount_due": "1200"}'
  })),
  language: Type.Optional(LanguageCode)
}, { additionalProperties: false })

export const PreviewResponse = Type.Object({
  success: Type.Literal(true),
  version: Type.Integer({ description: 'The version previewed: the latest' }),
  texts: Type.Array(Type.Object({
    said: Type.String({ description: 'greeting, reply-<key>, spoke_instead, invalid_key, no_reply, goodbye; instructions, first_message' }),
    language: Type.String(),
    text: Type.String(),
    missing: Type.Array(Type.String(), { description: 'Fields with no value for this customer' }),
    audio_wav: Type.Optional(Type.String({ description: 'Scripted: the spoken text, WAV in base64' }))
  }))
})

export const RehearseBody = PreviewBody

export const RehearsalResponse = Type.Object({
  success: Type.Literal(true),
  version: Type.Integer({ description: 'The version rehearsed: the latest' }),
  speedup: Type.Integer({ description: 'How much faster than a call it ran (audio, playback, waits for a key)' }),
  callers: Type.Array(Type.Object({
    caller: Type.Union(['confirms', 'asks-callback', 'talks-over', 'stays-silent', 'wrong-key'].map((name) => Type.Literal(name))),
    does: Type.String(),
    outcome: Nullable(Type.String()),
    outcome_detail: Nullable(Type.Record(Type.String(), Type.Unknown())),
    dtmf: Type.String(),
    barge_ins: Type.Integer(),
    transcript: Type.Array(Type.Object({ speaker: Type.Union([Type.Literal('assistant'), Type.Literal('caller')]), text: Type.String() })),
    notes: Type.Array(Type.Record(Type.String(), Type.Unknown()), { description: 'What the call\'s timeline would note: a language the assistant lacked, a field with no value' }),
    assistant_audio_seconds: Type.Number(),
    stop_reason: Nullable(Type.String()),
    problem: Nullable(Type.String())
  }))
})

export const AssistantFields = Type.Object({
  success: Type.Literal(true),
  fields: Type.Array(Type.String(), { description: 'name, first_name, phone_last4, customer_id, language, details, then every uploaded column' }),
  languages: Type.Array(Type.Object({ code: Type.String(), name: Type.String() }), { description: 'The languages texts may be given in' })
})
