import type { Assistant, AssistantOutput, AssistantSession, Outcome } from '../assistant/assistant.js'
import type { Database } from '../db/database.js'
import { readExotelMessage, type MediaFormat } from '../exotel/media-codec.js'
import type { MediaGrant } from '../exotel/media-token.js'
import { Playback } from '../exotel/playback.js'
import { applyReport, callIdOf, callStatusOf, isTerminal, type StatusReport } from './calls.js'
import { callContextOf, recordConversation, startConversation, type ConversationChange } from './conversation.js'

export interface MediaSessionOptions {
  db: Database
  grant: MediaGrant
  assistant: Assistant
  /** Sends a frame to Exotel. */
  send: (frame: string) => void
  /** Closes the stream: the bot's part of the call is over, or the call had ended before the stream started. */
  close: (code: number, reason: string) => void
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
/** Most entries one stream adds to its call's timeline (keys, marks): past it they are counted, not written. */
export const MAX_TIMELINE_ENTRIES = 300

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
  #timelineEntries = 0
  #ended = false
  #hangUpTimer: NodeJS.Timeout | undefined
  /** Writes to the call's timeline and conversation, in order; a failed one is logged and the next goes on. */
  #writes = Promise.resolve()
  /** While a `start` is handled: frames that arrive meanwhile wait in `#held`. */
  #starting: Promise<void> | undefined
  #held: string[] = []
  #endAfterStart: string | undefined

  /** Our call: the token's, or, for a token /ws-url could not bind, the one the stream's `start` names. */
  #callId: string | undefined

  constructor (options: MediaSessionOptions) {
    this.#options = options
    this.#callId = options.grant.callId
  }

  /**
   * Handles one frame from Exotel. Audio never waits for the database: what is recorded is queued and written in
   * order behind it. Only a `start` waits (for the call's context); frames arriving meanwhile are held, in order.
   */
  handle (frame: string): void {
    if (this.#starting) {
      this.#held.push(frame)
      return
    }
    const message = readExotelMessage(frame, this.#options.askedRate)
    if ('error' in message) {
      this.#options.log('media stream: message skipped', { reason: message.error, callId: this.#callId })
      return
    }
    if (message.event === 'connected') return
    if (message.event === 'start') {
      this.#starting = this.#start(message).catch((error: Error) => {
        this.#options.log('media stream: the stream could not start', { callId: this.#callId, err: error })
      }).finally(() => {
        this.#starting = undefined
        for (const held of this.#held.splice(0)) this.handle(held)
        if (this.#endAfterStart) this.end(this.#endAfterStart)
      })
      return
    }
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
        this.#record(`dtmf:${stream.sid}:${++this.#digits}`, { digit: message.digit })
        this.#write({ digit: message.digit })
        return stream.assistant?.dtmf(message.digit)
      case 'mark':
        this.#record(`mark:${stream.sid}:${message.name}`, { mark: message.name })
        stream.playback.played(message.name)
        if (message.name === HANG_UP_MARK) return this.#closeAfterHangUp()
        return stream.assistant?.marked(message.name)
      case 'stop':
        this.#record(`stream-stop:${stream.sid}`, { stream_sid: stream.sid, reason: message.reason, audio_bytes: this.#audioBytes })
        return this.end(message.reason)
    }
  }

  /** The stream is over (Exotel stopped it, or the socket closed): the assistant lets go, the end is recorded. */
  end (reason: string): void {
    if (this.#starting) { // after the frames held during the start
      this.#endAfterStart ??= reason
      return
    }
    if (this.#ended) return
    this.#ended = true
    clearTimeout(this.#hangUpTimer)
    if (!this.#stream) return
    this.#stream.playback.stop()
    this.#stream.assistant?.end(reason)
    this.#write({ end: reason })
  }

  /** Resolves once the stream has started (if it was starting) and everything has been written. */
  async settled (): Promise<void> {
    await this.#starting
    await this.#writes
  }

  async #start (message: Extract<ReturnType<typeof readExotelMessage>, { event: 'start' }>) {
    const { grant } = this.#options
    // A token that names the Sid takes only that call's start; one that does not is bound by the start's Sid.
    const callId = grant.callSid === undefined
      ? await callIdOf(this.#options.db, message.callSid)
      : message.callSid === grant.callSid ? grant.callId : undefined
    if (this.#stream || callId === undefined || (grant.callId !== undefined && callId !== grant.callId)) {
      this.#options.log('media stream: start for another call, for a call we do not know, or a second start, skipped', { callId: this.#callId })
      return
    }
    this.#callId = callId
    // A call that has ended keeps the record it ended with: a stream for it (a replayed or forged URL) is refused.
    const status = await callStatusOf(this.#options.db, callId)
    if (isTerminal(status!)) {
      this.#options.log('media stream: refused, the call has ended', { callId, status })
      this.#ended = true
      this.#options.close(1008, 'the call has ended')
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
    this.#queueWrite(() => startConversation(this.#options.db, callId, assistant.name, message.streamSid))
    // Exotel echoes our URL's query in custom_parameters: the media token is a credential, kept out of everything.
    const { token: _token, ...customParameters } = message.customParameters
    this.#record(`stream-start:${message.streamSid}`, {
      stream_sid: message.streamSid,
      encoding: message.format.encoding,
      sample_rate: message.format.sampleRate,
      custom_parameters: customParameters
    })
    const customer = await callContextOf(this.#options.db, callId)
    stream.assistant = assistant.start({
      callId,
      callSid: message.callSid,
      streamSid: message.streamSid,
      format: message.format,
      customer,
      customParameters
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
      log: (message) => this.#options.log('media stream: assistant', { callId: this.#callId, message }),
      problem: (problem) => {
        this.#options.log('media stream: assistant problem', { callId: this.#callId, problem })
        this.#write({ problem })
      },
      hangUp: () => {
        if (this.#ended || this.#hangUpTimer) return
        playback.mark(HANG_UP_MARK)
        this.#hangUpTimer = setTimeout(() => this.#closeAfterHangUp(), playback.unplayedMs + HANG_UP_GRACE_MS)
      }
    }
  }

  /** The assistant's goodbye has played: its part of the call is over. */
  #closeAfterHangUp () {
    this.end('hung up by the assistant')
    this.#options.close(1000, 'call handled')
  }

  #write (change: ConversationChange) {
    this.#queueWrite(() => recordConversation(this.#options.db, this.#callId!, change))
  }

  #queueWrite (write: () => Promise<void>) {
    this.#writes = this.#writes.then(write).catch((error: Error) => {
      this.#options.log('media stream: a change could not be recorded', { callId: this.#callId, err: error })
    })
  }

  /** An entry on the call's timeline; past MAX_TIMELINE_ENTRIES for this stream, only its end is. */
  #record (dedupeKey: string, detail: Record<string, unknown>) {
    if (++this.#timelineEntries === MAX_TIMELINE_ENTRIES + 1) {
      this.#options.log('media stream: timeline full, further keys and marks not recorded', { callId: this.#callId })
    }
    if (this.#timelineEntries > MAX_TIMELINE_ENTRIES && !dedupeKey.startsWith('stream-stop:')) return
    const report: StatusReport = { status: 'in-progress', source: 'media-stream', dedupeKey, detail }
    this.#queueWrite(async () => { await applyReport(this.#options.db, { id: this.#callId! }, report) })
  }
}
