import type { ScriptedConfig, Texts } from '../../schemas/assistants.js'
import type { MediaFormat } from '../voice/format.js'
import type { Speech, VoiceChoice } from '../speech/speech.js'
import { languageOf, type Language } from '../speech/languages.js'
import { SpeechDetector } from '../voice/speech-detector.js'
import type { Assistant, AssistantOutput, AssistantSession, CallContext } from './assistant.js'
import { MACHINE_OUTCOME, textFor } from './settings.js'
import { parseTemplate, renderTemplate, valuesOf, type Part } from './template.js'

type Said = 'greeting' | 'spoke_instead' | 'invalid_key' | 'no_reply' | 'goodbye' | 'machine_message'

/** A text in each of its languages, parsed once per assistant version. */
type Parsed = Partial<Record<Language, Part[]>>

function parsed (texts: Texts): Parsed {
  return Object.fromEntries(Object.entries(texts).map(([language, text]) => [language, parseTemplate(text!)]))
}

/**
 * The embedded default assistant, one version of a scripted assistant's settings: it greets the customer in their
 * language with their own details, spoken by the embedded speech engine, takes their choice on the keypad, stops
 * talking when they talk over it, asks again when nothing comes, and records the outcome.
 */
export class ScriptedAssistant implements Assistant {
  readonly name = 'scripted'
  readonly said: Record<Exclude<Said, 'machine_message'>, Parsed> & { machine_message?: Parsed }
  readonly choices: Map<string, { outcome: string, reply: Parsed }>
  /** Its voice, whatever the language. */
  readonly voice: Omit<VoiceChoice, 'language'>
  readonly onMachine

  constructor (readonly config: ScriptedConfig, readonly speech: Speech) {
    this.onMachine = config.on_machine ?? 'speak-on'
    this.said = {
      greeting: parsed(config.greeting),
      spoke_instead: parsed(config.spoke_instead),
      invalid_key: parsed(config.invalid_key),
      no_reply: parsed(config.no_reply),
      goodbye: parsed(config.goodbye),
      ...config.machine_message ? { machine_message: parsed(config.machine_message) } : {}
    }
    this.choices = new Map(config.choices.map((choice) => [choice.key, { outcome: choice.outcome, reply: parsed(choice.reply) }]))
    this.voice = voiceOf(config)
  }

  start (context: CallContext, output: AssistantOutput): AssistantSession {
    return new ScriptedSession(this, context, output)
  }

  /** The customer's greeting, made into the speech cache: said from it when they answer. */
  async prepare (customer: CallContext['customer'], format: MediaFormat): Promise<void> {
    const { text, language } = textFor(this.said.greeting, languageOf(customer.language), this.config.language)
    await this.speech.prepare(renderTemplate(text, valuesOf(customer), language).text, { ...this.voice, language }, format)
  }
}

class ScriptedSession implements AssistantSession {
  readonly #assistant: ScriptedAssistant
  readonly #context: CallContext
  readonly #output: AssistantOutput
  readonly #detector: SpeechDetector
  readonly #values: Map<string, string>
  readonly #voice: Omit<VoiceChoice, 'language'>
  readonly #language: Language | undefined
  /** Texts said in the assistant's language for want of one in the customer's: noted on the call once each. */
  readonly #fellBack = new Set<string>()
  /** Which utterance is current: one that is overtaken (a key, speech, the end) stops sending its phrases. */
  #turn = 0
  #prompt: string | undefined
  #waiting: NodeJS.Timeout | undefined
  #unanswered = 0
  #done = false

  constructor (assistant: ScriptedAssistant, context: CallContext, output: AssistantOutput) {
    this.#assistant = assistant
    this.#context = context
    this.#output = output
    this.#detector = new SpeechDetector(context.format)
    this.#values = valuesOf(context.customer)
    this.#language = languageOf(context.customer.language)
    if (context.customer.language && this.#language === undefined) {
      output.note('language', { asked: context.customer.language, reason: 'not a language the speech engine speaks' })
    }
    this.#voice = assistant.voice
    this.#say('greeting', assistant.said.greeting)
  }

  audio (chunk: Buffer): void {
    const change = this.#detector.push(chunk)
    if (this.#done || !change) return
    if (change === 'started') {
      // Barge-in: stop talking and listen. What they say is not understood; they are asked to use the keypad.
      clearTimeout(this.#waiting)
      this.#turn++
      if (this.#output.unplayedMs > 0) this.#output.clear()
      this.#prompt = undefined
      return
    }
    this.#output.transcript('caller', '(spoke)')
    this.#say('spoke_instead', this.#assistant.said.spoke_instead)
  }

  dtmf (digit: string): void {
    if (this.#done) return
    clearTimeout(this.#waiting)
    this.#output.transcript('caller', `(pressed ${digit})`)
    if (this.#output.unplayedMs > 0) this.#output.clear() // a key pressed over a prompt answers it
    const choice = this.#assistant.choices.get(digit)
    if (!choice) return this.#say('invalid_key', this.#assistant.said.invalid_key)
    this.#output.outcome({ result: choice.outcome, detail: { digit } })
    this.#finish(`reply-${digit}`, choice.reply)
  }

  marked (name: string): void {
    // The question has played: wait for an answer, asking again (`retries` times) before giving up.
    if (this.#done || name !== this.#prompt) return
    this.#waiting = setTimeout(() => {
      if (this.#unanswered++ < this.#assistant.config.retries) return this.#say('no_reply', this.#assistant.said.no_reply)
      this.#output.outcome({ result: 'no-response' })
      this.#finish('goodbye', this.#assistant.said.goodbye)
    }, this.#assistant.config.reply_timeout_seconds * 1000)
  }

  end (): void {
    clearTimeout(this.#waiting)
    this.#turn++
    if (!this.#done) this.#output.outcome({ result: 'hung-up', detail: { customer_id: this.#context.customer.id } })
    this.#done = true
  }

  leaveMessage (): void {
    clearTimeout(this.#waiting)
    this.#output.outcome({ result: MACHINE_OUTCOME, detail: { left_message: true } })
    this.#finish('machine_message', this.#assistant.said.machine_message!) // (leave-message needs one: the settings' check)
  }

  #say (name: string, text: Parsed, then?: 'hang-up') {
    const turn = ++this.#turn
    this.#prompt = name
    const { text: parts, language, fellBack } = textFor(text, this.#language, this.#assistant.config.language)
    if (fellBack && !this.#fellBack.has(name)) {
      this.#fellBack.add(name)
      this.#output.note('language', { said: name, asked: this.#language, spoken: language, reason: 'the assistant has no text in that language' })
    }
    const { text: spoken, missing } = renderTemplate(parts, this.#values, language)
    if (missing.length > 0) this.#output.note('missing-fields', { said: name, fields: missing })
    this.#output.transcript('assistant', spoken)
    this.#speak(turn, name, spoken, { ...this.#voice, language }, then)
  }

  /** Sends each phrase as it is made; what is overtaken stops, and the mark goes after the last phrase. */
  async #speak (turn: number, name: string, text: string, voice: VoiceChoice, then?: 'hang-up') {
    try {
      for await (const audio of this.#assistant.speech.say(text, voice, this.#context.format)) {
        if (turn !== this.#turn) return
        this.#output.play(audio)
      }
    } catch (error) {
      this.#output.problem(`Speech synthesis failed: ${(error as Error).message}`)
    }
    if (turn !== this.#turn) return
    this.#output.mark(name)
    if (then === 'hang-up') this.#output.hangUp()
  }

  #finish (name: string, text: Parsed) {
    this.#say(name, text, 'hang-up')
    this.#done = true
  }
}

/** A scripted assistant's voice: female, 150 words a minute, unless it says otherwise. */
export function voiceOf (config: ScriptedConfig): Omit<VoiceChoice, 'language'> {
  return { gender: config.voice?.gender ?? 'female', rate: config.voice?.rate ?? 150 }
}
