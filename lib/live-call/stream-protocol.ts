import type { MediaFormat } from '../voice/format.js'

/** What a provider's media stream tells us, read from its own wire format. */
export type StreamEvent =
  | { event: 'connected' }
  | { event: 'start', streamSid: string, callSid: string, from?: string, to?: string, customParameters: Record<string, string>, format: MediaFormat }
  | { event: 'media', streamSid: string, chunk?: number, timestamp?: number, audio: Buffer }
  | { event: 'dtmf', streamSid: string, digit: string, duration?: number }
  | { event: 'mark', streamSid: string, name: string }
  | { event: 'stop', streamSid: string, callSid?: string, reason: string }

/** The frames we send on one stream, in the provider's format, numbered in the order they are built. */
export interface FrameWriter {
  media (chunk: Buffer): string
  mark (name: string): string
  clear (): string
}

/**
 * A telephony provider's media-stream wire format, both ways (as pipecat's serializers are): the live call's
 * session and playback speak only this, so a second provider is a second implementation, not a second session.
 */
export interface StreamProtocol {
  /** One frame from the provider, or why it is not one we can use. `askedRate`: the rate our URL asked for. */
  read (frame: string, askedRate?: number): StreamEvent | { error: string }
  /** Our audio cut into media payloads the provider accepts, about `chunkMs` each. */
  chunks (audio: Buffer, format: MediaFormat, chunkMs: number): Buffer[]
  /** The least audio one media frame may carry, in bytes: shorter audio is padded with silence. */
  readonly minChunkBytes: number
  frames (streamSid: string, format: MediaFormat): FrameWriter
}
