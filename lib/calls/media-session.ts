import type { Database } from '../db/database.js'
import { readExotelMessage } from '../exotel/media-codec.js'
import type { MediaGrant } from '../exotel/media-token.js'
import { applyReport, type StatusReport } from './calls.js'

export interface MediaSessionOptions {
  db: Database
  grant: MediaGrant
  /** The sample rate our WebSocket URL asked Exotel for. */
  askedRate?: number
  /** Told of messages skipped and of what the stream did, for the log. */
  log: (message: string, detail: Record<string, unknown>) => void
}

/**
 * One live call's media stream: Exotel's messages read one by one, and what matters recorded on the call's
 * timeline (the stream's start with its audio format, keys pressed, marks played, the stop and its reason). A
 * malformed message is logged and skipped: it never ends the stream. The voice assistant plugs in here.
 */
export class MediaSession {
  readonly #options: MediaSessionOptions
  #audioBytes = 0
  #digits = 0

  constructor (options: MediaSessionOptions) {
    this.#options = options
  }

  async handle (frame: string): Promise<void> {
    const message = readExotelMessage(frame, this.#options.askedRate)
    if ('error' in message) {
      this.#options.log('media stream: message skipped', { reason: message.error, callId: this.#options.grant.callId })
      return
    }
    switch (message.event) {
      case 'connected':
        return
      case 'start':
        if (message.callSid !== this.#options.grant.callSid) {
          this.#options.log('media stream: start for another call, skipped', { callId: this.#options.grant.callId })
          return
        }
        return await this.#record(`stream-start:${message.streamSid}`, {
          stream_sid: message.streamSid,
          encoding: message.format.encoding,
          sample_rate: message.format.sampleRate,
          custom_parameters: message.customParameters
        })
      case 'media':
        this.#audioBytes += message.audio.length
        return
      case 'dtmf':
        return await this.#record(`dtmf:${message.streamSid}:${++this.#digits}`, { digit: message.digit })
      case 'mark':
        return await this.#record(`mark:${message.streamSid}:${message.name}`, { mark: message.name })
      case 'stop':
        return await this.#record(`stream-stop:${message.streamSid}`, {
          stream_sid: message.streamSid, reason: message.reason, audio_bytes: this.#audioBytes
        })
    }
  }

  async #record (dedupeKey: string, detail: Record<string, unknown>) {
    const report: StatusReport = { status: 'in-progress', source: 'media-stream', dedupeKey, detail }
    await applyReport(this.#options.db, { id: this.#options.grant.callId }, report)
  }
}
