import type { FileHandle } from 'node:fs/promises'
import { samples16, toPcm } from '../voice/audio.js'
import type { MediaFormat } from '../voice/format.js'
import type { RecordingFile, RecordingWriter } from './writer.js'

/** The 44-byte header of a stereo 16-bit PCM WAV file holding `dataBytes` of samples. */
export function stereoWavHeader (sampleRate: number, dataBytes: number): Buffer {
  const header = Buffer.alloc(44)
  header.write('RIFF', 0, 'latin1')
  header.writeUInt32LE(36 + dataBytes, 4)
  header.write('WAVEfmt ', 8, 'latin1')
  header.writeUInt32LE(16, 16)
  header.writeUInt16LE(1, 20) // PCM
  header.writeUInt16LE(2, 22) // stereo: the customer left, the assistant right
  header.writeUInt32LE(sampleRate, 24)
  header.writeUInt32LE(sampleRate * 4, 28)
  header.writeUInt16LE(4, 32)
  header.writeUInt16LE(16, 34)
  header.write('data', 36, 'latin1')
  header.writeUInt32LE(dataBytes, 40)
  return header
}

/** How much of the call is kept in memory before it is written: a second. */
const FLUSH_SECONDS = 1

interface Segment { at: number, pcm: Int16Array }

/**
 * One live call recorded as a stereo WAV file as it goes on: the customer on the left channel, the assistant on the
 * right, aligned on the customer's stream, which runs in real time (so barge-ins sound as they happened). The
 * assistant's audio is placed where it starts playing (it is sent ahead), and what a barge-in's `clear` dropped
 * before it played is dropped here too. At most about a second of the customer and what the assistant has sent
 * ahead are held; each second is handed to the recordings' thread, which interleaves and writes it. The header says
 * the real size only once finished: `repairWav` fixes a file left by a crash.
 */
export class StereoRecording {
  readonly sampleRate: number
  readonly #format: MediaFormat
  readonly #file: RecordingFile
  /** Samples of the customer received: the recording's clock. */
  #callerAt = 0
  /** Samples handed over to be written (each becomes a left-right pair). */
  #written = 0
  #caller: Buffer[] = []
  #segments: Segment[] = []

  private constructor (file: RecordingFile, format: MediaFormat, sampleRate: number) {
    this.#file = file
    this.#format = format
    this.sampleRate = sampleRate
  }

  /** Starts a recording in a new file at `path`, for a stream in `format`. */
  static async open (writer: RecordingWriter, path: string, format: MediaFormat): Promise<StereoRecording> {
    const sampleRate = format.encoding === 'mulaw' ? 8000 : format.sampleRate
    return new StereoRecording(await writer.open(path, stereoWavHeader(sampleRate, 0)), format, sampleRate)
  }

  /** The customer's audio, in the stream's format, as it arrives. */
  caller (audio: Buffer): void {
    const pcm = toPcm(audio, this.#format)
    this.#caller.push(pcm)
    this.#callerAt += pcm.length >> 1
    if (this.#callerAt - this.#written >= this.sampleRate * FLUSH_SECONDS) this.#flush(this.#callerAt)
  }

  /** The assistant's audio, in the stream's format, sent now to start playing in `startsInMs`. */
  assistant (audio: Buffer, startsInMs: number): void {
    // Not copied: a frame's audio is never changed once it is sent.
    const samples = samples16(toPcm(audio, this.#format))
    this.#segments.push({ at: this.#callerAt + Math.round(startsInMs * this.sampleRate / 1000), pcm: samples })
  }

  /** A barge-in: what the assistant sent that has not started playing was dropped, unheard. */
  clear (): void {
    const now = this.#callerAt
    this.#segments = this.#segments.filter((segment) => segment.at < now)
      .map((segment) => segment.at + segment.pcm.length > now ? { at: segment.at, pcm: segment.pcm.subarray(0, now - segment.at) } : segment)
  }

  /** The stream ended: the rest is written and the header says the size. Answers the bytes of audio and its length. */
  async finish (): Promise<{ bytes: number, durationMs: number }> {
    this.#flush(this.#callerAt)
    const bytes = this.#written * 4
    await this.#file.finish(stereoWavHeader(this.sampleRate, bytes))
    return { bytes: bytes + 44, durationMs: Math.round(this.#written * 1000 / this.sampleRate) }
  }

  /** Hands over the samples from what was written up to `until`: copied into a channel each (native copies). */
  #flush (until: number) {
    const from = this.#written
    const count = until - from
    if (count <= 0) return
    const left = new Int16Array(count)
    let at = 0
    for (const chunk of this.#caller) {
      const samples = samples16(chunk)
      left.set(samples, at)
      at += samples.length
    }
    this.#caller = []
    const right = new Int16Array(count)
    for (const segment of this.#segments) {
      const start = Math.max(segment.at, from)
      const end = Math.min(segment.at + segment.pcm.length, until)
      if (end > start) right.set(segment.pcm.subarray(start - segment.at, end - segment.at), start - from)
    }
    this.#segments = this.#segments.filter((segment) => segment.at + segment.pcm.length > until)
    this.#written = until
    this.#file.block(44 + from * 4, left, right)
  }
}

/**
 * A recording left unfinished by a crash (its header says no audio): the header is set from what is on disk, cut to
 * whole sample pairs. Answers the bytes and length of what was kept.
 */
export async function repairWav (file: FileHandle): Promise<{ bytes: number, durationMs: number }> {
  const { size } = await file.stat()
  const head = Buffer.alloc(44)
  await file.read(head, 0, 44, 0)
  const sampleRate = size >= 44 && head.toString('latin1', 0, 4) === 'RIFF' ? head.readUInt32LE(24) : 8000
  const data = Math.max(0, Math.floor((size - 44) / 4) * 4)
  await file.truncate(44 + data)
  await file.write(stereoWavHeader(sampleRate, data), 0, 44, 0)
  return { bytes: 44 + data, durationMs: Math.round(data / 4 * 1000 / sampleRate) }
}
