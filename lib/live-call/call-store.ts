import { findCall, type CallStatus, type Locator } from '../calls/calls.js'
import { callContextOf, type ConversationChange } from '../calls/conversation.js'
import type { Database } from '../db/database.js'
import type { LiveRecording, Recordings } from '../recordings/recordings.js'
import type { MediaFormat } from '../voice/format.js'
import { claimMediaToken, type MediaGrant } from './media-token.js'
import { CallRecorder } from './recorder.js'

/** What one stream records, in order behind the audio. */
export interface StreamRecorder {
  /** The call written to; set once the stream's call is known, before anything is written. */
  callId: string | undefined
  start (assistant: string, streamSid: string): void
  conversation (change: ConversationChange): void
  /** `at`: when it happened (ms since the epoch), if not now. */
  timeline (dedupeKey: string, detail: Record<string, unknown>, at?: number): void
  settled (): Promise<void>
}

/**
 * Where a live call's stream finds its call and records what happened: the database for real calls; memory for a
 * rehearsal, which runs the same session with nobody dialled and nothing stored.
 */
export interface CallStore {
  /** Claims the stream's token, once on any instance: false when it was used. */
  claimToken (grant: MediaGrant): Promise<boolean>
  findCall (where: Locator): Promise<{ id: string, status: CallStatus } | undefined>
  /** Who is called, and the assistant the call pinned. */
  callContext (callId: string): ReturnType<typeof callContextOf>
  recorder (log: (message: string, detail: Record<string, unknown>) => void): StreamRecorder
  /** Records the call's audio from its stream, when calls are recorded. */
  recordAudio? (callId: string, format: MediaFormat): Promise<LiveRecording>
}

export function databaseCallStore (db: Database, recordings?: Recordings): CallStore {
  return {
    ...recordings ? { recordAudio: async (callId: string, format: MediaFormat) => await recordings.begin(callId, format) } : {},
    claimToken: async (grant) => await claimMediaToken(db, grant),
    findCall: async (where) => await findCall(db, where),
    callContext: async (callId) => await callContextOf(db, callId),
    recorder: (log) => new CallRecorder(db, log)
  }
}
