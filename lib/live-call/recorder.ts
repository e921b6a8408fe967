import { addTimelineEntry, applyReport, followUpOutcome, type StatusReport } from '../calls/calls.js'
import { conversationEnded } from '../calls/completion.js'
import { combinable, recordConversation, startConversation, type ConversationChange } from '../calls/conversation.js'
import type { Database } from '../db/database.js'

/** Most entries one stream adds to its call's timeline (keys, marks): past it they are counted, not written. */
export const MAX_TIMELINE_ENTRIES = 300

/**
 * What one stream records of its call, written in order behind the audio (which never waits for it): entries on
 * the call's timeline, and changes to its conversation. A write that fails is logged and the next goes on.
 */
export class CallRecorder {
  readonly #db: Database
  readonly #log: (message: string, detail: Record<string, unknown>) => void
  #writes = Promise.resolve()
  #timelineEntries = 0
  /**
   * Lines, keys and barge-ins queued after the last write that is not one of them: written together when their turn
   * comes (a turn's caller and assistant lines are one statement, not two). Anything else queued ends the gathering,
   * so that every write keeps its place in the order.
   */
  #gathering: ConversationChange[] | undefined
  /** The call written to; set once the stream's call is known, before anything is written. */
  callId: string | undefined

  constructor (db: Database, log: (message: string, detail: Record<string, unknown>) => void) {
    this.#db = db
    this.#log = log
  }

  /** The conversation begins: queued first, so that whatever happens next is recorded after it. */
  start (assistant: string, streamSid: string): void {
    const callId = this.callId!
    this.#gathering = undefined
    this.#queue(() => startConversation(this.#db, callId, assistant, streamSid))
  }

  conversation (change: ConversationChange): void {
    if (combinable(change)) {
      // (PostgreSQL delivers one notification of a transaction's identical ones: a repeat waits for the next statement.)
      const said = JSON.stringify(change)
      if (this.#gathering && !this.#gathering.some((gathered) => JSON.stringify(gathered) === said)) {
        this.#gathering.push(change)
        return
      }
      const gathered: [ConversationChange, ...ConversationChange[]] = [change]
      this.#gathering = gathered
      this.#queue(async () => {
        if (this.#gathering === gathered) this.#gathering = undefined // (what comes now is written after this)
        await recordConversation(this.#db, this.callId!, ...gathered)
      })
      return
    }
    this.#gathering = undefined
    this.#queue(async () => {
      await recordConversation(this.#db, this.callId!, change)
      // A campaign's next attempt may hang on the outcome, if the call's end was reported before it.
      if (change.outcome) await followUpOutcome(this.#db, this.callId!)
      // Exotel's final status may have come first: the call is done now.
      if (change.end) await conversationEnded(this.#db, this.callId!, new Date())
    })
  }

  /**
   * An entry on the call's timeline, dated `at` (ms since the epoch: when what it records happened, which may be
   * before it is written); past MAX_TIMELINE_ENTRIES for this stream, only its end is.
   */
  timeline (dedupeKey: string, detail: Record<string, unknown>, at = Date.now()): void {
    if (++this.#timelineEntries === MAX_TIMELINE_ENTRIES + 1) {
      this.#log('media stream: timeline full, further keys and marks not recorded', { callId: this.callId })
    }
    if (this.#timelineEntries > MAX_TIMELINE_ENTRIES && !dedupeKey.startsWith('stream-stop:')) return
    this.#gathering = undefined
    const report: StatusReport & { status: 'in-progress' } = { status: 'in-progress', source: 'media-stream', dedupeKey, detail, at: new Date(at) }
    // One statement for a call already answered (nearly always); a stream that came before the answer moves it on.
    this.#queue(async () => {
      if (!await addTimelineEntry(this.#db, this.callId!, report)) await applyReport(this.#db, { id: this.callId! }, report)
    })
  }

  /** Resolves once everything queued so far has been written (or has failed). */
  async settled (): Promise<void> {
    await this.#writes
  }

  #queue (write: () => Promise<void>) {
    this.#writes = this.#writes.then(write).catch((error: Error) => {
      this.#log('media stream: a change could not be recorded', { callId: this.callId, err: error })
    })
  }
}
