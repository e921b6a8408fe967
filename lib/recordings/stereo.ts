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
/** Each channel's ring holds this much: the second being filled, and what the assistant sends ahead of it. */
const RING_SECONDS = 2

interface Segment { at: number, pcm: Int16Array }

/**
 * One live call recorded as a stereo WAV file as it goes on: the customer on the left channel, the assistant on the
 * right, aligned on the customer's stream, which runs in real time (so barge-ins sound as they happened). The
 * assistant's audio is placed where it starts playing (it is sent ahead), and what a barge-in's `clear` dropped
 * before it played is dropped here too. Each channel is copied as it comes into a ring of two seconds, so that no
 * frame outlives its handling (frames kept for a second would each wait for a full garbage collection); each second
 * is handed to the recordings' thread, which interleaves and writes it. The header says the real size only once
 * finished: `repairWav` fixes a file left by a crash.
 */
export class StereoRecording {
  readonly sampleRate: number
  readonly #format: MediaFormat
  readonly #file: RecordingFile
  readonly #capacity: number
  readonly #left: Int16Array
  readonly #right: Int16Array
  /** Samples of the customer received: the recording's clock. */
  #callerAt = 0
  /** Samples handed over to be written (each becomes a left-right pair); the rings hold what follows. */
  #written = 0
  /** The assistant's audio is in the right ring up to here. */
  #rightUntil = 0
  /** The assistant's audio placed beyond the ring (sent further ahead than usual), placed as the ring moves on. */
  #later: Segment[] = []

  private constructor (file: RecordingFile, format: MediaFormat, sampleRate: number) {
    this.#file = file
    this.#format = format
    this.sampleRate = sampleRate
    this.#capacity = sampleRate * RING_SECONDS
    this.#left = new Int16Array(this.#capacity)
    this.#right = new Int16Array(this.#capacity)
  }

  /** Starts a recording in a new file at `path`, for a stream in `format`. */
  static async open (writer: RecordingWriter, path: string, format: MediaFormat): Promise<StereoRecording> {
    const sampleRate = format.encoding === 'mulaw' ? 8000 : format.sampleRate
    return new StereoRecording(await writer.open(path, stereoWavHeader(sampleRate, 0)), format, sampleRate)
  }

  /** The customer's audio, in the stream's format, as it arrives. */
  caller (audio: Buffer): void {
    let samples = samples16(toPcm(audio, this.#format))
    while (samples.length > 0) { // (in pieces the ring has room for: under a second is ever waiting)
      const piece = samples.subarray(0, this.#capacity - (this.#callerAt - this.#written))
      this.#put(this.#left, this.#callerAt, piece)
      this.#callerAt += piece.length
      samples = samples.subarray(piece.length)
      if (this.#callerAt - this.#written >= this.sampleRate * FLUSH_SECONDS) this.#flush(this.#callerAt)
    }
  }

  /** The assistant's audio, in the stream's format, sent now to start playing in `startsInMs`. */
  assistant (audio: Buffer, startsInMs: number): void {
    this.#place(this.#callerAt + Math.round(startsInMs * this.sampleRate / 1000), samples16(toPcm(audio, this.#format)))
  }

  /** A barge-in: what the assistant sent that has not started playing was dropped, unheard. */
  clear (): void {
    const now = this.#callerAt
    if (this.#rightUntil > now) this.#silence(now, this.#rightUntil - now)
    this.#rightUntil = now
    this.#later = [] // (all of it starts beyond the ring, after now)
  }

  /** The stream ended: the rest is written and the header says the size. Answers the bytes of audio and its length. */
  async finish (): Promise<{ bytes: number, durationMs: number }> {
    this.#flush(this.#callerAt)
    const bytes = this.#written * 4
    await this.#file.finish(stereoWavHeader(this.sampleRate, bytes))
    return { bytes: bytes + 44, durationMs: Math.round(this.#written * 1000 / this.sampleRate) }
  }

  /** The assistant's samples from `at`: into the ring as far as it reaches, the rest kept for later. */
  #place (at: number, samples: Int16Array) {
    const end = this.#written + this.#capacity
    const from = Math.max(at, this.#written)
    const into = Math.min(at + samples.length, end)
    if (into > from) {
      this.#put(this.#right, from, samples.subarray(from - at, into - at))
      this.#rightUntil = Math.max(this.#rightUntil, into)
    }
    if (at + samples.length > end) {
      const later = Math.max(at, end)
      this.#later.push({ at: later, pcm: samples.subarray(later - at) }) // (not copied: sent audio never changes)
    }
  }

  /**
   * `count` samples from absolute position `at`, as the ring lays them out: where they start in it, and how many fit
   * before it wraps round (the rest are at its start).
   */
  #span (at: number, count: number) {
    const offset = at % this.#capacity
    return { offset, first: Math.min(count, this.#capacity - offset) }
  }

  /** Writes samples into a ring at an absolute sample position. */
  #put (ring: Int16Array, at: number, samples: Int16Array) {
    const { offset, first } = this.#span(at, samples.length)
    ring.set(samples.subarray(0, first), offset)
    if (first < samples.length) ring.set(samples.subarray(first), 0)
  }

  /** Silences the assistant's ring for `count` samples from absolute position `at`. */
  #silence (at: number, count: number) {
    const { offset, first } = this.#span(at, count)
    this.#right.fill(0, offset, offset + first)
    if (first < count) this.#right.fill(0, 0, count - first)
  }

  /** A ring's samples from absolute position `at`, `count` of them, copied out. */
  #take (ring: Int16Array, at: number, count: number): Int16Array<ArrayBuffer> {
    const out = new Int16Array(count)
    const { offset, first } = this.#span(at, count)
    out.set(ring.subarray(offset, offset + first))
    if (first < count) out.set(ring.subarray(0, count - first), first)
    return out
  }

  /** Hands over the samples from what was written up to `until` (native copies), and moves the rings on. */
  #flush (until: number) {
    const from = this.#written
    const count = until - from
    if (count <= 0) return
    const left = this.#take(this.#left, from, count)
    const right = this.#take(this.#right, from, count)
    this.#silence(from, count) // the ring's next turn starts silent
    this.#written = until
    const later = this.#later
    this.#later = []
    for (const segment of later) this.#place(segment.at, segment.pcm)
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
