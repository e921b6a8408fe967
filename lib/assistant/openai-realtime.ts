import type { IncomingMessage } from 'node:http'
import type { RealtimeClientEvent } from 'openai/resources/realtime/realtime'
import WebSocket from 'ws'
import type { MediaFormat } from '../voice/format.js'
import { fromPcm, resample, toPcm } from '../voice/audio.js'
import type { OpenAIConfig, Texts } from '../../schemas/assistants.js'
import { languageOf, LANGUAGES } from '../speech/languages.js'
import type { Assistant, AssistantOutput, AssistantSession, CallContext } from './assistant.js'
import { recordedOutcome, toolsFor } from './openai-prompt.js'
import { HANDOFF_OUTCOME, MACHINE_OUTCOME, textFor } from './settings.js'
import { parseTemplate, renderTemplate, valuesOf } from './template.js'

/** How this deployment reaches OpenAI (environment variables); what the assistant says is its config. */
export interface OpenAIConnection {
  apiKey: string
  /** The Realtime WebSocket endpoint (OpenAI's, or a compatible server). */
  url: string
  /** The model that transcribes the caller's words. */
  transcribeModel: string
  /** Pass mu-law streams to the model as `audio/pcmu` rather than as 24 kHz PCM. */
  passMulaw?: boolean
}

interface OpenAIRealtimeOptions extends OpenAIConnection {
  config: OpenAIConfig
}

/**
 * OpenAI Realtime, speech to speech over WebSocket: the caller's audio goes to the model as it arrives, the
 * model's voice comes back to the call, resampled between the stream's format and the model's 24 kHz PCM (mu-law
 * passes through as `audio/pcmu` only with `passMulaw`: Exotel's own bridge reports wrong pitch with it). The
 * model's speech detection drives barge-in: when the caller starts talking, Exotel is told to `clear` and the
 * model's reply is truncated to what the caller heard. Every event sent is checked by the compiler against the
 * official `openai` package's client-event types.
 */
export class OpenAIRealtimeAssistant implements Assistant {
  readonly name = 'openai'
  readonly onMachine
  readonly #options: OpenAIRealtimeOptions

  constructor (connection: OpenAIConnection, config: OpenAIConfig) {
    this.#options = { ...connection, config }
    this.onMachine = config.on_machine ?? 'speak-on'
  }

  start (context: CallContext, output: AssistantOutput): AssistantSession {
    return new RealtimeSession(this.#options, context, output)
  }
}

interface ServerEvent {
  type: string
  item_id?: string
  response_id?: string
  delta?: string
  transcript?: string
  name?: string
  call_id?: string
  arguments?: string
  error?: { message?: string, code?: string | null }
}

const MODEL_RATE = 24000
/** Caller audio kept while the model's connection opens: at most this many chunks (about 10 s). */
const MAX_EARLY_CHUNKS = 100
/** Errors of the protocol's ordinary course: logged, not kept on the call as its problem. */
const BENIGN = new Set(['conversation_already_has_active_response', 'response_cancel_not_active'])

class RealtimeSession implements AssistantSession {
  readonly #output: AssistantOutput
  readonly #format: MediaFormat
  readonly #socket: WebSocket
  readonly #passthrough: boolean
  readonly #config: OpenAIConfig
  #early: string[] = []
  #maxDuration: NodeJS.Timeout
  #ended = false
  /** The reply being played: its item, and how much of its audio has been sent to the call. */
  #reply: { itemId: string, ms: number } | undefined
  /** A response is active (or asked for): the server refuses another until its `response.done`. */
  #responding = false
  /** A response is wanted once the active one is done (a tool's result, a key pressed while the model spoke). */
  #responseWanted = false
  /** When the response whose first audio is awaited was asked for. */
  #askedAt: number | undefined
  /** What to say to an answering machine; once asked for, then once its response has begun (then hang up after it). */
  readonly #machineMessage: string | undefined
  #leaving: 'asked' | 'speaking' | undefined

  constructor (options: OpenAIRealtimeOptions, context: CallContext, output: AssistantOutput) {
    this.#output = output
    this.#format = context.format
    this.#config = options.config
    this.#passthrough = context.format.encoding === 'mulaw' && options.passMulaw === true
    const { instructions, firstMessage, machineMessage } = instructionsFor(options.config, context.customer)
    this.#machineMessage = machineMessage
    const url = new URL(options.url)
    url.searchParams.set('model', options.config.model)
    this.#maxDuration = setTimeout(() => {
      output.note('max-duration', { seconds: options.config.max_duration_seconds })
      this.#fail(`The call reached the assistant's longest duration (${options.config.max_duration_seconds} s)`, false)
    }, options.config.max_duration_seconds * 1000).unref()
    this.#socket = new WebSocket(url, { headers: { authorization: `Bearer ${options.apiKey}` } })
    const format = this.#passthrough ? { type: 'audio/pcmu' as const } : { type: 'audio/pcm' as const, rate: MODEL_RATE as 24000 }
    this.#socket.on('open', () => {
      this.#send({
        type: 'session.update',
        session: {
          type: 'realtime',
          instructions,
          audio: {
            input: { format, transcription: { model: options.transcribeModel }, turn_detection: { type: 'server_vad' } },
            output: { format, voice: options.config.voice }
          },
          tools: toolsFor(options.config.outcomes),
          tool_choice: 'auto'
        }
      })
      // The bot speaks first: its first message as written, or what the instructions lead it to say.
      if (firstMessage) {
        this.#send({
          type: 'response.create',
          response: { instructions: `Say exactly this, and nothing else: ${firstMessage}` }
        })
        this.#responding = true
      } else this.#requestResponse()
      for (const audio of this.#early.splice(0)) this.#send({ type: 'input_audio_buffer.append', audio })
    })
    this.#socket.on('message', (data) => this.#receive(JSON.parse(String(data)) as ServerEvent))
    this.#socket.on('unexpected-response', (_request, response) => this.#refused(response))
    this.#socket.on('error', () => {}) // the close that follows tells the call
    this.#socket.on('close', (code) => this.#fail(`The OpenAI Realtime connection closed (${code}) during the call`))
  }

  audio (chunk: Buffer): void {
    const audio = this.#toModel(chunk).toString('base64')
    if (this.#socket.readyState === WebSocket.OPEN) return this.#send({ type: 'input_audio_buffer.append', audio })
    if (this.#socket.readyState === WebSocket.CONNECTING && this.#early.length < MAX_EARLY_CHUNKS) this.#early.push(audio)
  }

  dtmf (digit: string): void {
    this.#output.transcript('caller', `(pressed ${digit})`)
    this.#send({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: `(The caller pressed ${digit} on the keypad.)` }] }
    })
    this.#requestResponse()
  }

  marked (): void {}

  end (): void {
    this.#ended = true
    clearTimeout(this.#maxDuration)
    this.#socket.close(1000)
  }

  #toModel (chunk: Buffer): Buffer {
    return this.#passthrough ? chunk : resample(toPcm(chunk, this.#format), this.#format.sampleRate, MODEL_RATE)
  }

  #send (event: RealtimeClientEvent) {
    // The model's delay runs from our asking (or the response it started itself) to its first audio.
    if (event.type === 'response.create') this.#askedAt ??= performance.now()
    if (this.#socket.readyState === WebSocket.OPEN) this.#socket.send(JSON.stringify(event))
  }

  /** The machine is ready to record: whatever was being said is dropped, the message is said word for word, then goodbye. */
  leaveMessage (): void {
    this.#output.outcome({ result: MACHINE_OUTCOME, detail: { left_message: true } })
    // Whatever is active (a reply to the machine's greeting, which was not played) goes; with nothing active the
    // service answers response_cancel_not_active, an ordinary refusal.
    this.#send({ type: 'response.cancel' })
    this.#leaving = 'asked'
    this.#responseWanted = false
    this.#responding = true
    this.#send({ type: 'response.create', response: { instructions: `Say exactly this, and nothing else: ${this.#machineMessage!}` } })
  }

  /** Asks for a response now, or once the active one is done: the server refuses a second at once. */
  #requestResponse () {
    if (this.#responding) {
      this.#responseWanted = true
      return
    }
    this.#responding = true
    this.#send({ type: 'response.create' })
  }

  #receive (event: ServerEvent) {
    switch (event.type) {
      case 'response.created':
        if (this.#leaving === 'asked') this.#leaving = 'speaking'
        this.#responding = true
        this.#askedAt ??= performance.now()
        return
      case 'response.done':
        this.#responding = false
        if (this.#responseWanted) {
          this.#responseWanted = false
          this.#requestResponse()
        }
        return
      case 'response.output_audio.delta':
      case 'response.audio.delta': { // the beta interface's name
        const audio = Buffer.from(event.delta ?? '', 'base64')
        if (this.#askedAt !== undefined) this.#output.modelDelay?.(performance.now() - this.#askedAt)
        this.#askedAt = undefined
        const itemId = event.item_id ?? ''
        if (this.#reply?.itemId !== itemId) this.#reply = { itemId, ms: 0 }
        this.#reply.ms += audio.length / (this.#passthrough ? 8 : MODEL_RATE * 2 / 1000)
        this.#output.play(this.#passthrough ? audio : fromPcm(audio, MODEL_RATE, this.#format))
        return
      }
      case 'response.output_audio.done':
      case 'response.audio.done':
        this.#output.mark(`reply:${event.item_id ?? ''}`)
        if (this.#leaving === 'speaking') this.#output.hangUp()
        return
      case 'response.output_audio_transcript.done':
      case 'response.audio_transcript.done':
        return this.#output.transcript('assistant', event.transcript ?? '')
      case 'conversation.item.input_audio_transcription.completed':
        return this.#output.transcript('caller', event.transcript ?? '')
      case 'input_audio_buffer.speech_started':
        return this.#bargeIn()
      case 'response.function_call_arguments.done':
        return this.#call(event)
      case 'error':
        return this.#error(event.error ?? {})
    }
  }

  #error (error: NonNullable<ServerEvent['error']>) {
    const code = error.code ?? undefined
    if (code && BENIGN.has(code)) {
      // Our response.create crossed one the server started itself: ask again once that one is done.
      if (code === 'conversation_already_has_active_response') this.#responseWanted = true
      return this.#output.log(`OpenAI Realtime: ${code}`)
    }
    this.#output.problem(`OpenAI Realtime: ${error.message ?? 'error'}${code ? ` (${code})` : ''}`)
  }

  /** The caller talks over the reply: drop what has not played, and cut the model's memory of it to match. */
  #bargeIn () {
    const unplayed = this.#output.unplayedMs
    if (!this.#reply || unplayed <= 0) return
    this.#output.clear()
    const heard = Math.max(0, Math.round(this.#reply.ms - unplayed))
    this.#send({ type: 'conversation.item.truncate', item_id: this.#reply.itemId, content_index: 0, audio_end_ms: heard })
    this.#reply = undefined
  }

  #call (event: ServerEvent) {
    let args: Record<string, unknown> = {}
    try {
      args = JSON.parse(event.arguments ?? '{}') as typeof args
    } catch {}
    if (event.name === 'record_outcome') {
      const outcome = recordedOutcome(this.#config.outcomes, args)
      if (!outcome) this.#output.log(`OpenAI Realtime: record_outcome with an outcome the assistant does not have (${String(args.result).slice(0, 40)})`)
      else {
        if (outcome.refused.length > 0) this.#output.note('outcome-fields-refused', { fields: outcome.refused })
        this.#output.outcome({ result: outcome.result, detail: outcome.detail })
      }
    }
    if (event.name === 'hand_off') {
      this.#output.outcome({ result: HANDOFF_OUTCOME, detail: { reason: String(args.reason ?? '').slice(0, 500) } }) // (none given: '')
      return this.#output.hangUp() // the flow goes on to the agents
    }
    if (event.name === 'end_call') return this.#output.hangUp()
    this.#send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: event.call_id ?? '', output: '{"ok":true}' } })
    this.#requestResponse()
  }

  /** The service answered the connection with an HTTP error (a bad key: 401; an unknown model: 4xx). */
  #refused (response: IncomingMessage) {
    let body = ''
    response.setEncoding('utf8')
    response.on('data', (chunk: string) => { if (body.length < 4096) body += chunk })
    response.on('end', () => {
      let message = body.trim()
      try {
        message = (JSON.parse(body) as { error?: { message?: string } }).error?.message ?? message
      } catch {}
      this.#fail(`OpenAI Realtime refused the connection: HTTP ${response.statusCode}${message ? ` (${message.slice(0, 200)})` : ''}`)
      this.#socket.terminate()
    })
  }

  /** The model is gone (or the call too long): the call shows why, and the bot's part ends. */
  #fail (problem: string, isProblem = true) {
    if (this.#ended) return
    this.#ended = true
    clearTimeout(this.#maxDuration)
    if (isProblem) this.#output.problem(problem)
    else this.#output.log(problem)
    this.#output.hangUp()
    this.#socket.close(1000)
  }
}

/** The assistant's instructions, first message and message for machines for one customer, in their language when it has one. */
export function instructionsFor (config: OpenAIConfig, customer: CallContext['customer']):
{ instructions: string, firstMessage?: string, machineMessage?: string } {
  const values = valuesOf(customer)
  const language = languageOf(customer.language) ?? config.language
  values.set('language', LANGUAGES[language].name)
  const instructions = renderTemplate(parseTemplate(config.instructions), values, language).text
  const said = (texts: Texts | undefined) => {
    if (!texts) return undefined
    const { text, language } = textFor(texts, languageOf(customer.language), config.language)
    return renderTemplate(parseTemplate(text), values, language).text
  }
  return { instructions, firstMessage: said(config.first_message), machineMessage: said(config.machine_message) }
}
