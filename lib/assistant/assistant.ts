import type { MediaFormat } from '../voice/format.js'

/**
 * The voice assistant's side of a live call, whichever assistant it is (scripted prompts, OpenAI Realtime, an
 * echo for benchmarks). The media session gives each call's assistant the call's context and feeds it what the
 * caller does; the assistant answers through its output. Audio both ways is in the stream's own format.
 */
export interface CallContext {
  callId: string
  callSid: string
  streamSid: string
  format: MediaFormat
  /** The least audio one frame on this stream carries (Exotel: 3 200 bytes): a shorter flush is padded with silence. */
  minFrameBytes: number
  customer: {
    id: string
    name: string | null
    phone: string
    language: string | null
    /** The uploaded file's other columns (amount due, due date, ...). */
    attributes: Record<string, unknown>
  }
  /** The custom parameters Exotel passed on from the stream's URL. */
  customParameters: Record<string, string>
}

export interface Outcome {
  /** A short word for what came of the call: confirmed, callback, no-response, ... */
  result: string
  /** Anything else worth keeping (a promised date, the caller's words, ...). */
  detail?: Record<string, unknown>
}

export interface AssistantOutput {
  /** Audio for the caller; whole frames go out at once, paced near real time. */
  play (audio: Buffer): void
  /** Sends what is waiting for a whole frame at once, padded with silence. */
  flush (): void
  /** Ends an utterance: flushes, and the session's `marked(name)` is told when it has played. */
  mark (name: string): void
  /** Barge-in: drops the audio that has not yet played (sends Exotel a `clear`). */
  clear (): void
  /** Milliseconds of audio sent or queued that have not yet played. */
  readonly unplayedMs: number
  /** A line of the conversation, for the call's transcript. */
  transcript (speaker: 'assistant' | 'caller', text: string): void
  /** Records what came of the call (the last one recorded stands). */
  outcome (outcome: Outcome): void
  /** Ends the bot's part once what is queued has played: the stream closes and the flow goes on (to hang up). */
  hangUp (): void
  /** Something went wrong that the call should show (e.g. the AI service dropped): logged and kept on the call. */
  problem (message: string): void
  /** Worth a line on the call's timeline (a language said for want of the customer's, a field with no value). */
  note (event: string, detail: Record<string, unknown>): void
  /** Worth a line in the log, and no more: not kept on the call. */
  log (message: string): void
  /** The AI model took this long from being asked to respond to its first audio (the call's quality numbers). */
  modelDelay? (ms: number): void
}

export interface AssistantSession {
  /** A chunk of the caller's audio. */
  audio (chunk: Buffer): void
  /** A key the caller pressed. */
  dtmf (digit: string): void
  /** Playback reached a mark. */
  marked (name: string): void
  /** The stream ended (`callended`: the caller hung up) or the socket closed: let go of everything. */
  end (reason: string): void
  /**
   * An answering machine took the call and is ready to record (its beep has sounded, or its greeting has stopped):
   * say the assistant's message for machines, then hang up. Until then the session heard nothing of the machine,
   * and what it said was not played.
   */
  leaveMessage? (): void
}

export interface Assistant {
  /** Its kind (scripted, openai, echo), kept on the conversation. */
  readonly name: string
  /** What to do when an answering machine takes the call (settings' `on_machine`); speak-on when it says nothing. */
  readonly onMachine?: 'speak-on' | 'leave-message' | 'hang-up'
  start (context: CallContext, output: AssistantOutput): AssistantSession
  /** While the customer's phone rings: make ready what they will hear first, so that it plays the moment they answer. */
  prepare? (customer: CallContext['customer'], format: MediaFormat): Promise<void>
}
