import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { MediaFormat } from '../voice/format.js'
import { projectRoot } from '../server/project-root.js'
import { fromPcm, readWav } from '../voice/audio.js'
import { SpeechDetector } from '../voice/speech-detector.js'
import type { Assistant, AssistantOutput, AssistantSession, CallContext } from './assistant.js'

/** The scripted assistant's words; assets/prompts holds each as recorded speech (scripts/make-prompts.sh). */
export const PROMPTS = {
  menu: 'Hello, this is an automated call about your account with us. To confirm your payment, press 1. To be called back later, press 2.',
  keypad: 'Sorry, I can only understand your keypad. Press 1 to confirm your payment, or 2 to be called back later.',
  invalid: 'Sorry, that is not one of the choices. Press 1 to confirm your payment, or 2 to be called back later.',
  repeat: 'Are you still there? Press 1 to confirm your payment, or 2 to be called back later.',
  confirmed: 'Thank you, your confirmation has been recorded. Goodbye.',
  callback: 'Thank you, we will call you back later. Goodbye.',
  goodbye: 'We did not get your choice, so we will try again later. Goodbye.'
} as const

type Prompt = keyof typeof PROMPTS

/** The keys the caller may press, and what each means. */
const CHOICES: Record<string, { result: string, reply: Prompt }> = {
  1: { result: 'confirmed', reply: 'confirmed' },
  2: { result: 'callback', reply: 'callback' }
}

export interface ScriptedOptions {
  /** How long to wait for a key once the question has played, before asking again (twice) and giving up. */
  replyTimeoutMs: number
  promptsFolder?: string
}

/**
 * The embedded default assistant, for when no AI service is configured: it plays recorded prompts, takes the
 * caller's choice on the keypad (1 confirm, 2 call back later), stops talking when the caller talks over it, and
 * records the outcome. Prompts are read once and kept in each stream format they are asked in.
 */
export class ScriptedAssistant implements Assistant {
  readonly name = 'scripted'
  readonly #options: ScriptedOptions
  readonly #recordings = new Map<Prompt, { pcm: Buffer, rate: number }>()
  readonly #converted = new Map<string, Buffer>()

  constructor (options: ScriptedOptions) {
    this.#options = options
    const folder = options.promptsFolder ?? join(projectRoot, 'assets', 'prompts')
    for (const name of Object.keys(PROMPTS) as Prompt[]) {
      const { pcm, sampleRate } = readWav(readFileSync(join(folder, `${name}.wav`)))
      this.#recordings.set(name, { pcm, rate: sampleRate })
    }
  }

  /** A prompt's audio in a stream's format. */
  audio (name: Prompt, format: MediaFormat): Buffer {
    const key = `${name}:${format.encoding}:${format.sampleRate}`
    let audio = this.#converted.get(key)
    if (!audio) {
      const { pcm, rate } = this.#recordings.get(name)!
      audio = fromPcm(pcm, rate, format)
      this.#converted.set(key, audio)
    }
    return audio
  }

  start (context: CallContext, output: AssistantOutput): AssistantSession {
    return new ScriptedSession(this, context, output, this.#options.replyTimeoutMs)
  }
}

class ScriptedSession implements AssistantSession {
  readonly #assistant: ScriptedAssistant
  readonly #context: CallContext
  readonly #output: AssistantOutput
  readonly #replyTimeoutMs: number
  readonly #detector: SpeechDetector
  #prompt: Prompt | undefined
  #waiting: NodeJS.Timeout | undefined
  #unanswered = 0
  #done = false

  constructor (assistant: ScriptedAssistant, context: CallContext, output: AssistantOutput, replyTimeoutMs: number) {
    this.#assistant = assistant
    this.#context = context
    this.#output = output
    this.#replyTimeoutMs = replyTimeoutMs
    this.#detector = new SpeechDetector(context.format)
    this.#say('menu')
  }

  audio (chunk: Buffer): void {
    const change = this.#detector.push(chunk)
    if (this.#done || !change) return
    if (change === 'started') {
      // Barge-in: stop talking and listen. What they say is not understood; they are asked to use the keypad.
      clearTimeout(this.#waiting)
      if (this.#output.unplayedMs > 0) this.#output.clear()
      this.#prompt = undefined
      return
    }
    this.#output.transcript('caller', '(spoke)')
    this.#say('keypad')
  }

  dtmf (digit: string): void {
    if (this.#done) return
    clearTimeout(this.#waiting)
    this.#output.transcript('caller', `(pressed ${digit})`)
    if (this.#output.unplayedMs > 0) this.#output.clear() // a key pressed over a prompt answers it
    const choice = CHOICES[digit]
    if (!choice) return this.#say('invalid')
    this.#output.outcome({ result: choice.result, detail: { digit } })
    this.#finish(choice.reply)
  }

  marked (name: string): void {
    // The question has played: wait for an answer, asking again once before giving up.
    if (this.#done || name !== this.#prompt) return
    this.#waiting = setTimeout(() => {
      if (++this.#unanswered < 3) return this.#say('repeat')
      this.#output.outcome({ result: 'no-response' })
      this.#finish('goodbye')
    }, this.#replyTimeoutMs)
  }

  end (): void {
    clearTimeout(this.#waiting)
    if (!this.#done) this.#output.outcome({ result: 'hung-up', detail: { customer_id: this.#context.customer.id } })
    this.#done = true
  }

  #say (prompt: Prompt) {
    this.#prompt = prompt
    this.#output.play(this.#assistant.audio(prompt, this.#context.format))
    this.#output.transcript('assistant', PROMPTS[prompt])
    this.#output.mark(prompt)
  }

  #finish (prompt: Prompt) {
    this.#say(prompt)
    this.#done = true
    this.#output.hangUp()
  }
}
