import type { OpenAIConfig, ScriptedConfig } from '../../schemas/assistants.js'
import type { Database } from '../db/database.js'
import { insertAssistant, type AssistantKind } from './store.js'

const OUTCOMES = [
  { name: 'confirmed', description: 'The customer confirmed the payment', final: true },
  { name: 'callback', description: 'The customer asked to be called back later', follow_up: true }
]

/** The payment reminder the product always had, now in English and Hindi, with the customer's name. */
export function paymentReminder (replyTimeoutMs: number): ScriptedConfig {
  const menu = {
    en: 'To confirm your payment, press 1. To be called back later, press 2.',
    hi: 'अपना भुगतान पक्का करने के लिए 1 दबाइए। बाद में कॉल के लिए 2 दबाइए।'
  }
  return {
    language: 'en',
    voice: { gender: 'female', rate: 150 },
    greeting: {
      en: `Hello {{ first_name | default: "there" }}, this is an automated call about your account with us. ${menu.en}`,
      hi: `नमस्ते {{ first_name | default: "जी" }}, यह आपके खाते के बारे में एक स्वचालित कॉल है। ${menu.hi}`
    },
    choices: [
      {
        key: '1',
        outcome: 'confirmed',
        reply: { en: 'Thank you, your confirmation has been recorded. Goodbye.', hi: 'धन्यवाद, आपकी पुष्टि दर्ज हो गई है। नमस्ते।' }
      },
      {
        key: '2',
        outcome: 'callback',
        reply: { en: 'Thank you, we will call you back later. Goodbye.', hi: 'धन्यवाद, हम आपको बाद में कॉल करेंगे। नमस्ते।' }
      }
    ],
    spoke_instead: { en: `Sorry, I can only understand your keypad. ${menu.en}`, hi: `माफ़ कीजिए, मैं केवल बटन समझ सकती हूँ। ${menu.hi}` },
    invalid_key: { en: `Sorry, that is not one of the choices. ${menu.en}`, hi: `माफ़ कीजिए, यह विकल्प नहीं है। ${menu.hi}` },
    no_reply: { en: `Are you still there? ${menu.en}`, hi: `क्या आप सुन रहे हैं? ${menu.hi}` },
    goodbye: {
      en: 'We did not get your choice, so we will try again later. Goodbye.',
      hi: 'हमें आपका जवाब नहीं मिला, हम बाद में फिर कॉल करेंगे। नमस्ते।'
    },
    retries: 2,
    reply_timeout_seconds: Math.min(60, Math.max(0.2, Math.round(replyTimeoutMs / 100) / 10)),
    outcomes: [...OUTCOMES, { name: 'no-response', description: 'Nothing was pressed', follow_up: true }]
  }
}

export interface FirstAssistantOptions {
  /** What ASSISTANT (and OPENAI_API_KEY) chose before assistants were data. */
  kind: AssistantKind
  replyTimeoutMs: number
  openai: { instructions: string, voice: OpenAIConfig['voice'], model: string }
}

/**
 * On a deployment's first start, the default assistant, shaped by the environment variables that used to choose
 * and configure the one global assistant: deployments that set them keep working as they did. Once there is any
 * assistant (archived or not), nothing is made. Safe when several instances start at once.
 */
export async function ensureFirstAssistant (db: Database, options: FirstAssistantOptions): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(727003)')
    const { rows } = await tx.query<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM assistant) AS any')
    if (rows[0]!.any) return
    const config: ScriptedConfig | OpenAIConfig = options.kind === 'scripted'
      ? paymentReminder(options.replyTimeoutMs)
      : {
          language: 'en',
          instructions: upgradedPrompt(options.openai.instructions),
          voice: options.openai.voice,
          model: options.openai.model,
          outcomes: [...OUTCOMES, { name: 'declined' }, { name: 'wrong-person' }, { name: 'other' }],
          max_duration_seconds: 600
        }
    await insertAssistant(tx, { name: 'Payment reminder', kind: options.kind, config, createdBy: 'system', makeDefault: true })
  })
}

/**
 * ASSISTANT_PROMPT as templates now write it: `{{attributes}}` (every uploaded column) is `{{ details }}`, and the
 * full `{{phone}}` is no longer given to the model: `{{ phone_last4 }}` is.
 */
export function upgradedPrompt (prompt: string): string {
  return prompt.replace(/\{\{\s*attributes\s*\}\}/g, '{{ details }}').replace(/\{\{\s*phone\s*\}\}/g, '{{ phone_last4 }}')
}
