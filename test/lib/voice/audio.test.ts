import t from 'tap'
import { fromPcm, loudness, mulawToPcm, pcmToMulaw, readWav, resample, toPcm, WavError, writeWav } from '../../../lib/voice/audio.js'
import { SpeechDetector } from '../../../lib/voice/speech-detector.js'

const pcm = (...samples: number[]) => {
  const buffer = Buffer.alloc(samples.length * 2)
  samples.forEach((sample, i) => buffer.writeInt16LE(sample, i * 2))
  return buffer
}
const samples = (buffer: Buffer) => Array.from({ length: buffer.length / 2 }, (_, i) => buffer.readInt16LE(i * 2))

t.test('mu-law: the G.711 code points, and a round trip within its step size', async (t) => {
  t.same([...pcmToMulaw(pcm(0, 1000, -1000, 32767, -32768))], [0xff, 0xce, 0x4e, 0x80, 0x00])
  t.same(samples(mulawToPcm(Buffer.from([0xff, 0x7f, 0x80, 0x00]))), [0, 0, 32124, -32124])
  for (const value of [0, 5, -5, 100, -100, 1000, -1000, 8000, -8000, 30000, -30000]) {
    const back = samples(mulawToPcm(pcmToMulaw(pcm(value))))[0]!
    t.ok(Math.abs(back - value) <= Math.max(8, Math.abs(value) / 16), `${value} -> ${back}`)
  }
})

t.test('resampling keeps the length in time and the shape of the signal', async (t) => {
  const ramp = pcm(0, 300, 600, 900)
  t.equal(resample(ramp, 8000, 8000), ramp, 'same rate: the same buffer')
  t.same(samples(resample(ramp, 8000, 24000)), [0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 900, 900])
  t.same(samples(resample(pcm(0, 100, 200, 300, 400, 500), 24000, 8000)), [0, 300])
  t.equal(resample(Buffer.alloc(3200), 16000, 24000).length, 4800)
})

t.test('formats: mu-law 8 kHz or PCM at the stream rate', async (t) => {
  const second = Buffer.alloc(16000)
  t.equal(fromPcm(second, 8000, { encoding: 'mulaw', sampleRate: 8000 }).length, 8000)
  t.equal(fromPcm(second, 8000, { encoding: 'pcm16', sampleRate: 16000 }).length, 32000)
  t.equal(toPcm(Buffer.alloc(80, 0xff), { encoding: 'mulaw', sampleRate: 8000 }).length, 160)
  const raw = Buffer.alloc(4)
  t.equal(toPcm(raw, { encoding: 'pcm16', sampleRate: 8000 }), raw)
})

t.test('loudness: silence is 0, a full-scale square wave is 32767, mu-law the same as its PCM', async (t) => {
  const pcm8k = { encoding: 'pcm16', sampleRate: 8000 } as const
  t.equal(loudness(Buffer.alloc(320), pcm8k), 0)
  t.equal(loudness(Buffer.alloc(0), pcm8k), 0)
  t.equal(loudness(pcm(32767, -32767), pcm8k), 32767)
  const tone = pcm(...Array.from({ length: 160 }, (_, i) => Math.round(5000 * Math.sin(i / 3))))
  t.ok(Math.abs(loudness(pcmToMulaw(tone), { encoding: 'mulaw', sampleRate: 8000 }) - loudness(tone, pcm8k)) < 150)
  t.equal(loudness(Buffer.alloc(0), { encoding: 'mulaw', sampleRate: 8000 }), 0)
  const odd = Buffer.concat([Buffer.alloc(1), tone]).subarray(1) // samples that start at an odd address
  t.equal(loudness(odd, pcm8k), loudness(tone, pcm8k), 'samples at an odd address are read alike')
})

t.test('WAV files: 16-bit mono PCM written and read back, anything else refused', async (t) => {
  const written = writeWav(pcm(1, -2, 32767, -32768), 16000)
  t.equal(written.length, 44 + 8)
  t.same(readWav(written), { sampleRate: 16000, pcm: pcm(1, -2, 32767, -32768) })

  const wav = (format: number, channels: number, bits: number, data = true) => {
    const fmt = Buffer.alloc(24)
    fmt.write('fmt ', 0, 'latin1'); fmt.writeUInt32LE(16, 4); fmt.writeUInt16LE(format, 8); fmt.writeUInt16LE(channels, 10)
    fmt.writeUInt32LE(8000, 12); fmt.writeUInt16LE(bits, 22)
    const odd = Buffer.from('LIST\x03\x00\x00\x00abc\x00', 'latin1') // an odd-sized chunk is padded to even
    const body = Buffer.concat([odd, fmt, data ? Buffer.from('data\x04\x00\x00\x00\x01\x00\x02\x00', 'latin1') : Buffer.alloc(0)])
    const head = Buffer.alloc(12)
    head.write('RIFF', 0, 'latin1'); head.writeUInt32LE(body.length + 4, 4); head.write('WAVE', 8, 'latin1')
    return Buffer.concat([head, body])
  }
  t.same(samples(readWav(wav(1, 1, 16)).pcm), [1, 2])
  t.throws(() => readWav(wav(1, 2, 16)), new WavError('not 16-bit mono PCM'))
  t.throws(() => readWav(wav(3, 1, 32)), new WavError('not 16-bit mono PCM'), 'float samples')
  t.throws(() => readWav(wav(1, 1, 16, false)), new WavError('no audio in the WAV file'))
  t.throws(() => readWav(Buffer.from('OggS not a wav file')), new WavError('not a WAV file'))
  t.throws(() => readWav(Buffer.concat([Buffer.from('RIFF\x00\x00\x00\x00WAVE', 'latin1'), Buffer.from('data\x04\x00\x00\x00\x01\x00\x02\x00', 'latin1')])),
    new WavError('not 16-bit mono PCM'), 'data before its format')
})

t.test('speech detection: a run of loud audio starts speech, a run of quiet ends it, a click does neither', async (t) => {
  const format = { encoding: 'pcm16', sampleRate: 8000 } as const
  const loud = pcm(...Array.from({ length: 160 }, (_, i) => (i % 2 ? 4000 : -4000))) // 20 ms
  const quiet = Buffer.alloc(320)
  const detector = new SpeechDetector(format, { startMs: 60, endMs: 100 })
  const feed = (chunk: Buffer, times: number) => Array.from({ length: times }, () => detector.push(chunk)).filter(Boolean)
  t.same(feed(loud, 2), [], 'a 40 ms click is not speech')
  t.same(feed(quiet, 1), [])
  t.same(feed(loud, 3), ['started'])
  t.equal(detector.speaking, true)
  t.same(feed(quiet, 4), [], 'a short pause does not end it')
  t.same(feed(loud, 1), [])
  t.same(feed(quiet, 5), ['stopped'])
  t.equal(detector.speaking, false)
  t.same(new SpeechDetector({ encoding: 'mulaw', sampleRate: 8000 }).push(Buffer.alloc(8000, 0xff)), undefined, 'mu-law silence, defaults')
})
