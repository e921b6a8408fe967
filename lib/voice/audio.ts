import type { MediaFormat } from './format.js'

/**
 * The little audio work a phone call needs, on raw buffers: G.711 mu-law to and from 16-bit PCM, linear
 * resampling between telephone rates, WAV reading, and a chunk's loudness. PCM is signed 16-bit little-endian
 * mono throughout, as Exotel streams it.
 */

const BIAS = 0x84
const CLIP = 32635

function encodeSample (sample: number): number {
  const sign = sample < 0 ? 0x80 : 0
  let magnitude = Math.min(CLIP, sign ? -sample : sample) + BIAS
  let exponent = 7
  for (let mask = 0x4000; (magnitude & mask) === 0 && exponent > 0; mask >>= 1) exponent--
  const mantissa = (magnitude >> (exponent + 3)) & 0x0f
  magnitude = ~(sign | (exponent << 4) | mantissa)
  return magnitude & 0xff
}

function decodeSample (byte: number): number {
  const value = ~byte & 0xff
  const magnitude = ((((value & 0x0f) << 3) + BIAS) << ((value & 0x70) >> 4)) - BIAS
  return value & 0x80 ? -magnitude : magnitude
}

const DECODE = Int16Array.from({ length: 256 }, (_, byte) => decodeSample(byte))
const ENCODE = Uint8Array.from({ length: 65536 }, (_, index) => encodeSample(index - 32768))

export function mulawToPcm (mulaw: Buffer): Buffer {
  const samples = new Int16Array(mulaw.length)
  for (let i = 0; i < mulaw.length; i++) samples[i] = DECODE[mulaw[i]!]!
  return Buffer.from(samples.buffer)
}

export function pcmToMulaw (pcm: Buffer): Buffer {
  const mulaw = Buffer.allocUnsafe(pcm.length >> 1)
  const samples = samples16(pcm)
  for (let i = 0; i < mulaw.length; i++) mulaw[i] = ENCODE[samples[i]! + 32768]!
  return mulaw
}

/**
 * 16-bit PCM from one rate to another, by linear interpolation (telephone rates: 8, 16, 24 kHz). Every phrase the
 * assistant says goes through it: plain loops over typed arrays.
 */
export function resample (pcm: Buffer, from: number, to: number): Buffer {
  if (from === to) return pcm
  const input = samples16(pcm)
  const count = input.length
  const length = Math.floor(count * to / from)
  const output = new Int16Array(length)
  const step = from / to
  for (let i = 0; i < length; i++) {
    const position = i * step
    const left = Math.floor(position)
    const a = input[left]!
    const b = input[Math.min(left + 1, count - 1)]!
    output[i] = Math.round(a + (b - a) * (position - left))
  }
  return Buffer.from(output.buffer)
}

/** Audio in a stream's format, from 16-bit PCM at `rate`. */
export function fromPcm (pcm: Buffer, rate: number, format: MediaFormat): Buffer {
  if (format.encoding === 'mulaw') return pcmToMulaw(resample(pcm, rate, 8000))
  return resample(pcm, rate, format.sampleRate)
}

/** A stream's audio as 16-bit PCM (at the stream's rate). */
export function toPcm (audio: Buffer, format: MediaFormat): Buffer {
  return format.encoding === 'mulaw' ? mulawToPcm(audio) : audio
}

/** Loudness of a chunk: root mean square of its samples, 0 (silence) to 32767. */
export function loudness (audio: Buffer, format: MediaFormat): number {
  // Every caller frame of every call is measured: plain loops over typed arrays, no reads through the Buffer API.
  let sum = 0
  if (format.encoding === 'mulaw') {
    for (let i = 0; i < audio.length; i++) { const sample = DECODE[audio[i]!]!; sum += sample * sample }
    return audio.length === 0 ? 0 : Math.sqrt(sum / audio.length)
  }
  const samples = samples16(audio)
  for (let i = 0; i < samples.length; i++) { const sample = samples[i]!; sum += sample * sample }
  return samples.length === 0 ? 0 : Math.sqrt(sum / samples.length)
}

/** 16-bit samples of PCM audio, without a copy when they are aligned (as Node's buffers are). */
export function samples16 (pcm: Buffer): Int16Array {
  const whole = pcm.length >> 1
  return pcm.byteOffset % 2 === 0 ? new Int16Array(pcm.buffer, pcm.byteOffset, whole) : new Int16Array(Uint8Array.from(pcm.subarray(0, whole * 2)).buffer)
}

export class WavError extends Error {}

/** A WAV file's 16-bit mono PCM samples and rate; anything else is refused. */
export function readWav (file: Buffer): { sampleRate: number, pcm: Buffer } {
  if (file.toString('latin1', 0, 4) !== 'RIFF' || file.toString('latin1', 8, 12) !== 'WAVE') throw new WavError('not a WAV file')
  let format: { channels: number, sampleRate: number, bits: number, code: number } | undefined
  for (let at = 12; at + 8 <= file.length;) {
    const id = file.toString('latin1', at, at + 4)
    const size = file.readUInt32LE(at + 4)
    const body = at + 8
    if (id === 'fmt ') {
      format = { code: file.readUInt16LE(body), channels: file.readUInt16LE(body + 2), sampleRate: file.readUInt32LE(body + 4), bits: file.readUInt16LE(body + 14) }
    } else if (id === 'data') {
      if (!format || format.code !== 1 || format.channels !== 1 || format.bits !== 16) throw new WavError('not 16-bit mono PCM')
      return { sampleRate: format.sampleRate, pcm: file.subarray(body, Math.min(file.length, body + size)) }
    }
    at = body + size + (size & 1)
  }
  throw new WavError('no audio in the WAV file')
}

/** 16-bit mono PCM as a WAV file. */
export function writeWav (pcm: Buffer, sampleRate: number): Buffer {
  const header = Buffer.alloc(44)
  header.write('RIFF', 0, 'latin1')
  header.writeUInt32LE(36 + pcm.length, 4)
  header.write('WAVEfmt ', 8, 'latin1')
  header.writeUInt32LE(16, 16)
  header.writeUInt16LE(1, 20) // PCM
  header.writeUInt16LE(1, 22) // mono
  header.writeUInt32LE(sampleRate, 24)
  header.writeUInt32LE(sampleRate * 2, 28)
  header.writeUInt16LE(2, 32)
  header.writeUInt16LE(16, 34)
  header.write('data', 36, 'latin1')
  header.writeUInt32LE(pcm.length, 40)
  return Buffer.concat([header, pcm])
}
