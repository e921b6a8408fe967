import type { Assistant, AssistantOutput, AssistantSession, Outcome } from '../assistant/assistant.js'
import type { Database } from '../db/database.js'
import { readExotelMessage, type MediaFormat } from '../exotel/media-codec.js'
import type { MediaGrant } from '../exotel/media-token.js'
import { Playback } from '../exotel/playback.js'
import { applyReport, type StatusReport } from './calls.js'
import { callContextOf, recordConversation, startConversation, type ConversationChange } from './conversation.js'

export interface MediaSessionOptions {
  db: Database
  grant: MediaGrant
  assistant: Assistant
  /** Sends a frame to Exotel. */
  send: (frame: string) => void
  /** Closes the stream (the bot's part of the call is over). */
  close: () => void
  /** How far ahead of playback the bot's audio is sent. */
  aheadMs: number
  /** The sample rate our WebSocket URL asked Exotel for. */
  askedRate?: number
  /** Told of messages skipped and of what the stream did, for the log. */
  log: (message: string, detail: Record<string, unknown>) => void
}

/** The mark that tells the bot's last words have played, after which the stream is closed. */
const HANG_UP_MARK = 'hang-up'
/** How long past the expected end of playback to wait for that mark before closing anyway. */
const HANG_UP_GRACE_MS = 2000

interface Stream {
  sid: string
  format: MediaFormat
  playback: Playback
  assistant?: AssistantSession
}

/**
 * One live call's media stream: Exotel's messages read one by one and handed to the call's voice assistant, whose
 * audio goes back paced near real time. What matters is recorded: on the call's timeline (the stream's start with
 * its format, keys, marks, the stop and its reason) and in its conversation (transcript, keys, barge-ins, outcome).
 * A malformed message is logged and skipped: it never ends the stream.
 */
export class MediaSession {
  readonly #options: MediaSessionOptions
  #stream: Stream | undefined
  #audioBytes = 0
  #digits = 0
  #ended = false
  #hangUpTimer: NodeJS.Timeout | undefined
  /** Conversation writes, in order; a failed one is logged and the next goes on. */
  #writes = Promise.resolve()

  constructor (options: MediaSessionOptions) {
    this.#options = options
  }

  get #callId () {
    return this.#options.grant.callId
  }

  async handle (frame: string): Promise<void> {
    const message = readExotelMessage(frame, this.#options.askedRate)
    if ('error' in message) {
      this.#options.log('media stream: message skipped', { reason: message.error, callId: this.#callId })
      return
    }
    if (message.event === 'connected') return
    if (message.event === 'start') return await this.#start(message)
    const stream = this.#stream
    if (!stream || message.streamSid !== stream.sid || this.#ended) {
      this.#options.log(`media stream: ${message.event} outside the stream, skipped`, { callId: this.#callId })
      return
    }
    switch (message.event) {
      case 'media':
        this.#audioBytes += message.audio.length
        return stream.assistant?.audio(message.audio)
      case 'dtmf':
        await this.#record(`dtmf:${stream.sid}:${++this.#digits}`, { digit: message.digit })
        this.#write({ digit: message.digit })
        return stream.assistant?.dtmf(message.digit)
      case 'mark':
        await this.#record(`mark:${stream.sid}:${message.name}`, { mark: message.name })
        stream.playback.played(message.name)
        if (message.name === HANG_UP_MARK) return this.#options.close()
        return stream.assistant?.marked(message.name)
      case 'stop':
        await this.#record(`stream-stop:${stream.sid}`, { stream_sid: stream.sid, reason: message.reason, audio_bytes: this.#audioBytes })
        return this.end(message.reason)
    }
  }

  /** The stream is over (Exotel stopped it, or the socket closed): the assistant lets go, the end is recorded. */
  end (reason: string): void {
    if (this.#ended) return
    this.#ended = true
    clearTimeout(this.#hangUpTimer)
    if (!this.#stream) return
    this.#stream.playback.stop()
    this.#stream.assistant?.end(reason)
    this.#write({ end: reason })
  }

  /** Resolves once every conversation write has been made. */
  settled (): Promise<void> {
    return this.#writes
  }

  async #start (message: Extract<ReturnType<typeof readExotelMessage>, { event: 'start' }>) {
    if (message.callSid !== this.#options.grant.callSid || this.#stream) {
      this.#options.log('media stream: start for another call or a second start, skipped', { callId: this.#callId })
      return
    }
    const { send, aheadMs, assistant } = this.#options
    const stream: Stream = {
      sid: message.streamSid,
      format: message.format,
      playback: new Playback({ streamSid: message.streamSid, format: message.format, send, aheadMs })
    }
    this.#stream = stream
    // Queued with the conversation's other writes, so that whatever happens next is recorded after it.
    this.#queueWrite(() => startConversation(this.#options.db, this.#callId, assistant.name, message.streamSid))
    await this.#record(`stream-start:${message.streamSid}`, {
      stream_sid: message.streamSid,
      encoding: message.format.encoding,
      sample_rate: message.format.sampleRate,
      custom_parameters: message.customParameters
    })
    const customer = await callContextOf(this.#options.db, this.#callId)
    if (this.#ended) return // the stream ended while the call was looked up
    stream.assistant = assistant.start({
      callId: this.#callId,
      callSid: message.callSid,
      streamSid: message.streamSid,
      format: message.format,
      customer,
      customParameters: message.customParameters
    }, this.#output(stream))
  }

  #output (stream: Stream): AssistantOutput {
    const { playback } = stream
    return {
      play: (audio) => playback.play(audio),
      flush: () => playback.flush(),
      mark: (name) => playback.mark(name),
      clear: () => {
        playback.clear()
        this.#write({ bargeIn: true })
      },
      get unplayedMs () { return playback.unplayedMs },
      transcript: (speaker, text) => this.#write({ line: { speaker, text } }),
      outcome: (outcome: Outcome) => this.#write({ outcome }),
      problem: (problem) => {
        this.#options.log('media stream: assistant problem', { callId: this.#callId, problem })
        this.#write({ problem })
      },
      hangUp: () => {
        if (this.#ended || this.#hangUpTimer) return
        playback.mark(HANG_UP_MARK)
        this.#hangUpTimer = setTimeout(() => this.#options.close(), playback.unplayedMs + HANG_UP_GRACE_MS)
      }
    }
  }

  #write (change: ConversationChange) {
    this.#queueWrite(() => recordConversation(this.#options.db, this.#callId, change))
  }

  #queueWrite (write: () => Promise<void>) {
    this.#writes = this.#writes.then(write).catch((error: Error) => {
      this.#options.log('media stream: the conversation could not be recorded', { callId: this.#callId, err: error })
    })
  }

  async #record (dedupeKey: string, detail: Record<string, unknown>) {
    const report: StatusReport = { status: 'in-progress', source: 'media-stream', dedupeKey, detail }
    await applyReport(this.#options.db, { id: this.#callId }, report)
  }
}
