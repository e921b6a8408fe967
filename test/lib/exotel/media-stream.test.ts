import t from 'tap'
import { mediaChunks, OutgoingFrames, readExotelMessage, readMediaFormat } from '../../../lib/exotel/media-stream.js'
import { bytesPerSecond } from '../../../lib/voice/format.js'

const sid = 'f'.repeat(32)

t.test('every Exotel event is read, with the variations real senders use', async (t) => {
  t.same(readExotelMessage('{"event":"connected"}'), { event: 'connected' })
  t.match(readExotelMessage(JSON.stringify({
    event: 'start', streamSid: sid, start: { callSid: 'c1', customParameters: { a: 1 }, mediaFormat: { encoding: 'audio/x-raw', sampleRate: 24000 } }
  })), { event: 'start', streamSid: sid, callSid: 'c1', customParameters: { a: '1' }, format: { encoding: 'pcm16', sampleRate: 24000 } })
  t.match(readExotelMessage(JSON.stringify({ event: 'start', start: { stream_sid: sid, call_sid: 'c1', media_format: { sample_rate: '16000Hz' } } })),
    { streamSid: sid, format: { sampleRate: 16000 } }, 'the stream_sid inside start; "16000Hz"')
  t.match(readExotelMessage(JSON.stringify({ event: 'start', stream_sid: sid, start: { call_sid: 'c1', media_format: { sample_rate: 16000 } } }), 8000),
    { format: { sampleRate: 8000 } }, 'the rate we asked for wins')
  t.match(readExotelMessage(JSON.stringify({ event: 'media', stream_sid: sid, media: { chunk: 3, timestamp: '60', payload: 'AAA=' } })),
    { event: 'media', chunk: 3, timestamp: 60, audio: Buffer.from([0, 0]) })
  t.match(readExotelMessage(JSON.stringify({ event: 'media', stream_sid: sid, media: { payload: 'AAA=', chunk: 'x' } })), { chunk: undefined })
  t.same(readExotelMessage(JSON.stringify({ event: 'stop', stream_sid: sid, stop: {} })), { event: 'stop', streamSid: sid, callSid: undefined, reason: 'stopped' })

  const errors: Array<[unknown, string]> = [
    [{ event: 'media' }, 'media without a stream_sid'],
    [{}, 'a message without a stream_sid'],
    [[1, 2], 'a message without a stream_sid'],
    [{ event: 'start', stream_sid: sid, start: {} }, 'start without a call_sid'],
    [{ event: 'media', stream_sid: sid, media: {} }, 'media without a payload'],
    [{ event: 'dtmf', stream_sid: sid, dtmf: { digit: '' } }, 'dtmf without a digit'],
    [{ event: 'mark', stream_sid: sid }, 'mark without a name'],
    [{ event: 'hello', stream_sid: sid }, 'unknown event "hello"'],
    [{ stream_sid: sid }, 'unknown event null']
  ]
  for (const [message, error] of errors) t.same(readExotelMessage(JSON.stringify(message)), { error }, error)
  t.same(readExotelMessage('{'), { error: 'not JSON' })
  t.same(readMediaFormat({ encoding: 'PCMU', sample_rate: 'weird' }), { encoding: 'mulaw', sampleRate: 8000 })
  t.same(readMediaFormat({ encoding: 'audio/L16;rate=16000', sample_rate: '8000' }, 8000), { encoding: 'pcm16', sampleRate: 16000 },
    'the rate an encoding carries counts, over the one asked for and the field')
  t.same(readMediaFormat({ encoding: 'audio/x-mulaw; rate=8000' }, 16000), { encoding: 'mulaw', sampleRate: 8000 })
})

t.test('audio goes out in chunks Exotel accepts: multiples of 320 bytes, 3 200 bytes to 100 KB', async (t) => {
  const pcm8k = { encoding: 'pcm16' as const, sampleRate: 8000 as const }
  t.equal(bytesPerSecond(pcm8k), 16_000)
  t.equal(bytesPerSecond({ encoding: 'mulaw', sampleRate: 8000 }), 8000)

  const second = mediaChunks(Buffer.alloc(16_000, 1), pcm8k) // one second
  t.same(second.map((chunk) => chunk.length), [3200, 3200, 3200, 3200, 3200], '200 ms chunks at 8 kHz')
  const pcm24k = mediaChunks(Buffer.alloc(48_000, 1), { encoding: 'pcm16', sampleRate: 24000 })
  t.same(pcm24k.map((chunk) => chunk.length), [9600, 9600, 9600, 9600, 9600], '200 ms at 24 kHz: 9 600 bytes')
  const short = mediaChunks(Buffer.alloc(1000, 1), pcm8k)
  t.same(short.map((chunk) => chunk.length), [3200], 'a short tail is padded to the 3 200 bytes Exotel needs')
  t.equal(short[0]!.subarray(1000).every((byte) => byte === 0), true, 'with silence')
  const mulaw = mediaChunks(Buffer.alloc(100, 1), { encoding: 'mulaw', sampleRate: 8000 })
  t.equal(mulaw[0]!.at(-1), 0xff, 'mu-law silence is 0xFF')
  const big = mediaChunks(Buffer.alloc(300_000, 1), pcm8k, 60_000)
  t.ok(big.every((chunk) => chunk.length <= 100_000 && chunk.length % 320 === 0), 'never over 100 KB')
  const frames = new OutgoingFrames(sid, pcm8k)
  const payload = Buffer.alloc(3200).toString('base64')
  t.same(JSON.parse(frames.media(mediaChunks(Buffer.alloc(320), pcm8k)[0]!)),
    { event: 'media', stream_sid: sid, sequence_number: '1', media: { chunk: '1', timestamp: '0', payload } })
  t.same(JSON.parse(frames.mark('greeting')), { event: 'mark', stream_sid: sid, sequence_number: '2', mark: { name: 'greeting' } })
  t.same(JSON.parse(frames.media(Buffer.alloc(3200))),
    { event: 'media', stream_sid: sid, sequence_number: '3', media: { chunk: '2', timestamp: '200', payload } },
    'numbers count up per stream as strings; the timestamp is the ms of audio sent before the chunk')
  t.same(JSON.parse(frames.clear()), { event: 'clear', stream_sid: sid, sequence_number: '4' })
  t.same(JSON.parse(new OutgoingFrames('other', { encoding: 'mulaw', sampleRate: 8000 }).media(Buffer.alloc(3200))).media.chunk, '1', 'each stream counts its own')
  const odd = new OutgoingFrames('a"b\\c', pcm8k).media(Buffer.from([1, 2, 3, 4]))
  t.equal(odd, JSON.stringify({ event: 'media', stream_sid: 'a"b\\c', sequence_number: '1', media: { chunk: '1', timestamp: '0', payload: 'AQIDBA==' } }),
    'the very JSON text JSON.stringify makes, a stream sid that needs escaping included')
})
