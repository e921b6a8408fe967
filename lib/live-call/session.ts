import type { Assistant, AssistantOutput, AssistantSession, Outcome } from '../assistant/assistant.js'
import { MACHINE_OUTCOME } from '../assistant/settings.js'
import { isTerminal } from '../calls/calls.js'
import type { MediaFormat } from '../voice/format.js'
import type { LiveRecording } from '../recordings/recordings.js'
import type { CallStore, StreamRecorder } from './call-store.js'
import type { MediaGrant } from './media-token.js'
import { AnswerDetector, type Answer } from '../voice/answer-detector.js'
import { Playback } from './playback.js'
import { QualityMeter, type CallQuality } from './quality.js'
import type { StreamEvent, StreamProtocol } from './stream-protocol.js'

export interface MediaSessionOptions {
  /** The call's records: the database (databaseCallStore), or memory for a rehearsal. */
  store: CallStore
  /** The stream's checked token: the session claims it (once, on any instance) before it reads a frame. */
  grant: MediaGrant
  /** The provider's wire format. */
  protocol: StreamProtocol
  /** The voice assistant of a call: the one it pinned (assistant id and version), else the default. */
  assistantFor: (callId: string, pinned: { id: string, version: number } | null) => Promise<Assistant>
  /** Sends a frame to the provider. */
  send: (frame: string) => void
  /** Closes the stream: the bot's part of the call is over, the call had ended, or the token was refused. */
  close: (code: number, reason: string) => void
  /** How far ahead of playback the bot's audio is sent. */
  aheadMs: number
  /** The sample rate our WebSocket URL asked for. */
  askedRate?: number
  /**
   * The provider streams audio all through a call: a stream silent this long died without a word, and is closed
   * (its end recorded with that reason). Default: never.
   */
  idleMs?: number
  /** Told of the stream's quality numbers when it ends (the metrics). */
  onQuality?: (quality: CallQuality) => void
  /** Told of messages skipped and of what the stream did, for the log; `error` for the server's own failures. */
  log: (message: string, detail: Record<string, unknown>, level?: 'info' | 'error') => void
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
  recording?: LiveRecording
  quality: QualityMeter
  /** Listens to the first seconds for who answered, then (for a machine to leave a message with) for its beep. */
  answer?: AnswerDetector
  /** What the assistant does with an answering machine. */
  onMachine: NonNullable<Assistant['onMachine']>
  /**
   * A machine answered and the assistant does not speak on: while `waiting`, the assistant hears nothing and what it
   * says is dropped; at `message` it leaves its message.
   */
  machine?: 'waiting' | 'message'
}

/**
 * One live call's media stream: the provider's messages read one by one and handed to the call's voice assistant, whose
 * audio goes back paced near real time. What matters is recorded: on the call's timeline (the stream's start with
 * its format, keys, marks, the stop and its reason) and in its conversation (transcript, keys, barge-ins, outcome).
 * A malformed message is logged and skipped: it never ends the stream.
 *
 * Longer than our usual file, on purpose: its one invariant is the order of a stream's events (the token's claim,
 * the start, the frames held meanwhile, the end), which is easiest to check when it is all in one place. Writing
 * (recorder.ts), pacing (playback.ts) and the wire format (the StreamProtocol) are elsewhere.
 */
export class MediaSession {
  readonly #options: MediaSessionOptions
  #stream: Stream | undefined
  #audioBytes = 0
  #digits = 0
  #notes = 0
  #ended = false
  /** The token was refused: nothing more is read. */
  #refused = false
  #hangUpTimer: NodeJS.Timeout | undefined
  readonly #recorder: StreamRecorder
  /**
   * While the token is claimed, then while a `start` is handled: frames that arrive meanwhile wait in `#held`,
   * and an end in `#endAfterStart`.
   */
  #starting: Promise<void> | undefined
  #held: Array<[frame: string, arrivedAt: number]> = []
  #endAfterStart: string | undefined
  #idle: NodeJS.Timeout | undefined
  #idleReason: string | undefined
  /** The recording's last writes, once the stream has ended. */
  #recordingDone: Promise<void> | undefined

  /** Our call: the token's, or, for a token /ws-url could not bind, the one the stream's `start` names. */
  get #callId (): string | undefined {
    return this.#recorder.callId
  }

  constructor (options: MediaSessionOptions) {
    this.#options = options
    this.#recorder = options.store.recorder(options.log)
    this.#recorder.callId = options.grant.callId
    if (options.idleMs) this.#idle = setTimeout(() => this.#silent(), options.idleMs)
    this.#wait(this.#claim())
  }

  /**
   * Handles one frame from the provider. Audio never waits for the database: what is recorded is queued and
   * written in order behind it. Only the token's claim and a `start` wait; frames arriving meanwhile are held.
   * What the timeline records is dated when its frame arrived (`arrivedAt`), however long it was held.
   */
  handle (frame: string, arrivedAt = Date.now()): void {
    this.#idle?.refresh()
    if (this.#starting) {
      this.#held.push([frame, arrivedAt])
      return
    }
    if (this.#refused) return
    const message = this.#options.protocol.read(frame, this.#options.askedRate)
    if ('error' in message) {
      this.#options.log('media stream: message skipped', { reason: message.error, callId: this.#callId })
      return
    }
    if (message.event === 'connected') return
    if (message.event === 'start') {
      this.#wait(this.#start(message, arrivedAt).catch((error: Error) => {
        this.#options.log('media stream: the stream could not start', { callId: this.#callId, err: error })
      }))
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
        stream.recording?.caller(message.audio)
        stream.quality.callerAudio(message.audio, message.timestamp)
        if (stream.answer) this.#listen(stream, stream.answer, message.audio, arrivedAt)
        if (stream.machine) return
        return stream.assistant?.audio(message.audio)
      case 'dtmf':
        this.#recorder.timeline(`dtmf:${stream.sid}:${++this.#digits}`, { digit: message.digit }, arrivedAt)
        this.#recorder.conversation({ digit: message.digit })
        stream.quality.callerKey()
        return stream.assistant?.dtmf(message.digit)
      case 'mark':
        this.#recorder.timeline(`mark:${stream.sid}:${message.name}`, { mark: message.name }, arrivedAt)
        stream.playback.played(message.name)
        if (message.name === HANG_UP_MARK) return this.#closeAfterHangUp()
        return stream.assistant?.marked(message.name)
      case 'stop':
        this.#recorder.timeline(`stream-stop:${stream.sid}`, { stream_sid: stream.sid, reason: message.reason, audio_bytes: this.#audioBytes }, arrivedAt)
        return this.end(message.reason)
    }
  }

  /** The socket closed: the stream ends, with the reason it was closed for if we closed it for silence. */
  closed (): void {
    clearTimeout(this.#idle)
    this.end(this.#idleReason ?? 'stream closed')
  }

  /** The stream is over (the provider stopped it, or the socket closed): the assistant lets go, the end is recorded. */
  end (reason: string): void {
    if (this.#starting) { // after the frames held during the start
      this.#endAfterStart ??= reason
      return
    }
    if (this.#ended) return
    this.#ended = true
    clearTimeout(this.#hangUpTimer)
    clearTimeout(this.#idle)
    if (!this.#stream) return
    this.#stream.playback.stop()
    this.#stream.assistant?.end(reason)
    const quality = this.#stream.quality.result()
    this.#recorder.conversation({ quality, end: reason })
    this.#options.onQuality?.(quality)
    const recording = this.#stream.recording
    this.#recordingDone = recording?.finish().catch((error: Error) => {
      this.#options.log('media stream: the recording could not be finished', { callId: this.#callId, err: error }, 'error')
    })
  }

  /** The server ends the call (a drain that could not wait longer): its stream ends with `reason`, and is closed. */
  hangUp (reason: string): void {
    this.end(reason)
    this.#options.close(1001, 'server stopping')
  }

  /** Resolves once the stream has started (if it was starting) and everything has been written. */
  async settled (): Promise<void> {
    while (this.#starting) await this.#starting // the claim, then a start held behind it
    await this.#recorder.settled()
    await this.#recordingDone
  }

  /** Holds frames and the end until `work` is done, then handles them in order. */
  #wait (work: Promise<void>) {
    this.#starting = work.finally(() => {
      this.#starting = undefined
      for (const [frame, arrivedAt] of this.#held.splice(0)) this.handle(frame, arrivedAt)
      if (this.#endAfterStart) this.end(this.#endAfterStart)
    })
  }

  /** A token is good once: a second stream with it (a replayed URL) is refused, on whichever instance it lands. */
  async #claim () {
    const { grant, log, close } = this.#options
    const refuse = (code: number, reason: string) => {
      this.#refused = true
      this.#ended = true
      clearTimeout(this.#idle)
      close(code, reason)
    }
    try {
      if (await this.#options.store.claimToken(grant)) return
      log('media stream refused: token already used', { callId: grant.callId })
      refuse(1008, 'token already used')
    } catch (error) {
      log('media stream: the token could not be checked', { err: error }, 'error')
      refuse(1011, 'server error')
    }
  }

  #silent () {
    const seconds = this.#options.idleMs! / 1000
    this.#options.log('media stream closed: silent too long', { seconds })
    this.#idleReason = `no message for ${seconds} s`
    this.#options.close(1000, 'no media')
  }

  async #start (message: Extract<StreamEvent, { event: 'start' }>, arrivedAt: number) {
    const { grant, store } = this.#options
    // A token that names the Sid takes only that call's start; one that does not is bound by the start's Sid.
    const call = grant.callSid === undefined
      ? await store.findCall({ exotelSid: message.callSid })
      : message.callSid === grant.callSid ? await store.findCall({ id: grant.callId! }) : undefined
    if (this.#stream || call === undefined || (grant.callId !== undefined && call.id !== grant.callId)) {
      this.#options.log('media stream: start for another call, for a call we do not know, or a second start, skipped', { callId: this.#callId })
      return
    }
    const callId = this.#recorder.callId = call.id
    // A call that has ended keeps the record it ended with: a stream for it (a replayed or forged URL) is refused.
    if (isTerminal(call.status)) {
      this.#options.log('media stream: refused, the call has ended', { callId, status: call.status })
      this.#ended = true
      this.#options.close(1008, 'the call has ended')
      return
    }
    const { send, aheadMs, protocol } = this.#options
    // Recorded from the start (a recording that cannot start leaves the call to go on unrecorded).
    const recording = await store.recordAudio?.(callId, message.format).catch((error: Error) => {
      this.#options.log('media stream: the call could not be recorded', { callId, err: error }, 'error')
      return undefined
    })
    const quality = new QualityMeter(message.format)
    const stream: Stream = {
      sid: message.streamSid,
      format: message.format,
      recording,
      quality,
      onMachine: 'speak-on',
      playback: new Playback({
        streamSid: message.streamSid,
        format: message.format,
        protocol,
        send,
        aheadMs,
        onSend: (audio, startsInMs) => {
          quality.assistantSent(audio, startsInMs)
          recording?.assistant(audio, startsInMs)
        },
        onClear: () => {
          quality.cleared()
          recording?.clear()
        }
      })
    }
    this.#stream = stream
    // Exotel echoes our URL's query in custom parameters: the media token is a credential, kept out of everything.
    const { token: _token, ...customParameters } = message.customParameters
    let assistant: Assistant | undefined
    let customer
    let exotelSays: string | null = null
    try {
      const { assistant: pinned, answeredBy, ...context } = await store.callContext(callId)
      customer = context
      exotelSays = answeredBy
      assistant = await this.#options.assistantFor(callId, pinned)
    } finally {
      // The conversation is recorded whatever comes of the start (`none` spoke when it failed), queued with its
      // other writes so that whatever happens next is recorded after it.
      this.#recorder.start(assistant?.name ?? 'none', message.streamSid)
      this.#recorder.timeline(`stream-start:${message.streamSid}`, {
        stream_sid: message.streamSid,
        encoding: message.format.encoding,
        sample_rate: message.format.sampleRate,
        custom_parameters: customParameters
      }, arrivedAt)
    }
    stream.assistant = assistant!.start({
      callId,
      callSid: message.callSid,
      streamSid: message.streamSid,
      format: message.format,
      minFrameBytes: protocol.minChunkBytes,
      customer: customer!,
      customParameters
    }, this.#output(stream))
    stream.onMachine = assistant!.onMachine ?? 'speak-on'
    stream.answer = new AnswerDetector(message.format)
    // Exotel's word, when its callback came before the stream: a machine's is acted on at once.
    if (exotelSays === 'human' || exotelSays === 'machine') this.#answered(stream, stream.answer.told(exotelSays), arrivedAt)
  }

  /** The callee's audio, while who answered is not yet told, or while a machine's beep is awaited. */
  #listen (stream: Stream, detector: AnswerDetector, audio: Buffer, arrivedAt: number) {
    const told = detector.answer
    const ready = detector.push(audio)
    if (!told && detector.answer) this.#answered(stream, detector.answer, arrivedAt)
    if (ready && stream.machine === 'waiting') {
      stream.answer = undefined
      stream.machine = 'message'
      stream.assistant?.leaveMessage?.() // (every assistant with a leave-message setting leaves one)
    }
  }

  /** Who answered is told (by audio or a start that arrived `at`): recorded, and for a machine the assistant's choice is acted on. */
  #answered (stream: Stream, answer: Answer, at: number) {
    this.#recorder.timeline(`answered-by:${stream.sid}`, { answered_by: answer.answeredBy, cue: answer.cue, ms: answer.ms }, at)
    this.#recorder.conversation({ answeredBy: answer.answeredBy })
    if (answer.answeredBy !== 'machine' || stream.onMachine === 'speak-on') {
      stream.answer = undefined // nothing more to listen for
      return
    }
    stream.machine = 'waiting'
    stream.playback.clear()
    this.#recorder.conversation({ outcome: { result: MACHINE_OUTCOME, detail: { left_message: false } } })
    if (stream.onMachine === 'hang-up') {
      stream.answer = undefined
      this.#closeAfterHangUp('answering machine: hung up')
    }
  }

  #output (stream: Stream): AssistantOutput {
    const { playback } = stream
    /** While a machine's beep is awaited, what the assistant says to the person it thought it had is dropped. */
    const unlessHushed = <A extends unknown[]>(work: (...args: A) => void) => (...args: A) => {
      if (stream.machine !== 'waiting') work(...args)
    }
    return {
      play: unlessHushed((audio: Buffer) => playback.play(audio)),
      flush: unlessHushed(() => {
        playback.flush()
        stream.quality.utteranceEnded()
      }),
      mark: unlessHushed((name: string) => {
        playback.mark(name)
        stream.quality.utteranceEnded()
      }),
      modelDelay: (ms) => stream.quality.modelDelay(ms),
      clear: () => {
        playback.clear()
        this.#recorder.conversation({ bargeIn: true })
      },
      get unplayedMs () { return playback.unplayedMs },
      transcript: unlessHushed((speaker: 'assistant' | 'caller', text: string) => this.#recorder.conversation({ line: { speaker, text } })),
      outcome: unlessHushed((outcome: Outcome) => this.#recorder.conversation({ outcome })),
      log: (message) => this.#options.log('media stream: assistant', { callId: this.#callId, message }),
      note: (event, detail) => this.#recorder.timeline(`assistant:${stream.sid}:${event}:${++this.#notes}`, { assistant: event, ...detail }),
      problem: (problem) => {
        this.#options.log('media stream: assistant problem', { callId: this.#callId, problem })
        this.#recorder.conversation({ problem })
      },
      hangUp: unlessHushed(() => {
        if (this.#ended || this.#hangUpTimer) return
        playback.mark(HANG_UP_MARK)
        this.#hangUpTimer = setTimeout(() => this.#closeAfterHangUp(), playback.unplayedMs + HANG_UP_GRACE_MS)
      })
    }
  }

  /** The assistant's goodbye has played (or it will not speak to a machine): its part of the call is over. */
  #closeAfterHangUp (reason = 'hung up by the assistant') {
    this.end(reason)
    this.#options.close(1000, 'call handled')
  }
}
