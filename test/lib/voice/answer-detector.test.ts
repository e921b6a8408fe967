import t from 'tap'
import { AnswerDetector } from '../../../lib/voice/answer-detector.js'
import { pcmToMulaw } from '../../../lib/voice/audio.js'
import type { MediaFormat } from '../../../lib/voice/format.js'

const PCM: MediaFormat = { encoding: 'pcm16', sampleRate: 8000 }

/** A voice-like sound (a buzz with its harmonics, rising and falling like syllables), a steady tone, or quiet with hiss. */
type Part = { voice: number } | { tone: number, ms: number } | { quiet: number }

function audio (parts: Part[], rate = 8000): Buffer {
  const samples: number[] = []
  let seed = 7
  const hiss = () => { seed = (seed * 16807) % 2147483647; return (seed / 2147483647 - 0.5) * 300 }
  for (const part of parts) {
    const ms = 'voice' in part ? part.voice : 'tone' in part ? part.ms : part.quiet
    for (let i = 0; i < rate * ms / 1000; i++) {
      const time = i / rate
      let sample = hiss()
      if ('voice' in part) {
        let buzz = 0
        for (let k = 1; k <= 12; k++) buzz += Math.sin(2 * Math.PI * 130 * k * time) / k
        sample += 2500 * (0.6 + 0.4 * Math.sin(2 * Math.PI * 4 * time)) * buzz
      } else if ('tone' in part) {
        sample += 8000 * Math.sin(2 * Math.PI * part.tone * time)
      }
      samples.push(Math.round(sample))
    }
  }
  const pcm = Buffer.alloc(samples.length * 2)
  samples.forEach((sample, i) => pcm.writeInt16LE(sample, i * 2))
  return pcm
}

/** Feeds the audio in 100 ms chunks, as a stream brings it; the chunks after which a machine was ready. */
function feed (detector: AnswerDetector, pcm: Buffer, chunkBytes = 1600): number[] {
  const ready: number[] = []
  for (let at = 0, chunk = 0; at < pcm.length; at += chunkBytes, chunk++) if (detector.push(pcm.subarray(at, at + chunkBytes))) ready.push(chunk)
  return ready
}

t.test('a short "hello?" and then quiet is a person; told once the quiet has lasted', async (t) => {
  const detector = new AnswerDetector(PCM)
  feed(detector, audio([{ quiet: 300 }, { voice: 600 }, { quiet: 400 }]))
  t.equal(detector.answer, undefined, 'not yet: they may go on')
  t.same(feed(detector, audio([{ quiet: 1000 }])), [], 'never "ready": a person is not recorded')
  t.match(detector.answer, { answeredBy: 'human', cue: 'short-greeting' })
  t.ok(detector.answer!.ms >= 1500 && detector.answer!.ms <= 1700, `told 700 ms after the greeting (${detector.answer!.ms} ms)`)
  feed(detector, audio([{ voice: 3000 }]))
  t.match(detector.answer, { answeredBy: 'human' }, 'what they say next does not change it')
})

t.test('a long greeting is a machine; it is ready to record after its beep', async (t) => {
  const detector = new AnswerDetector(PCM)
  const ready = feed(detector, audio([{ quiet: 200 }, { voice: 2500 }, { quiet: 500 }, { tone: 1000, ms: 500 }, { quiet: 1000 }]))
  t.match(detector.answer, { answeredBy: 'machine', cue: 'long-greeting', ms: 1700 }, 'told 1.5 s into the greeting')
  t.same(ready, [37], 'ready once the beep has ended (3.7 s in), once')
})

t.test('a machine with no beep is ready once its greeting has stopped for a while', async (t) => {
  const detector = new AnswerDetector(PCM)
  const ready = feed(detector, audio([{ voice: 2000 }, { quiet: 500 }, { voice: 1000 }, { quiet: 2000 }]))
  t.match(detector.answer, { answeredBy: 'machine', cue: 'long-greeting' })
  t.same(ready, [48], 'ready after 1.4 s of quiet, not at a pause between its sentences')
})

t.test('a steady tone is a machine (the network\'s tones before its message, a beep at once)', async (t) => {
  const detector = new AnswerDetector(PCM)
  feed(detector, audio([{ tone: 913.8, ms: 330 }, { tone: 1370.6, ms: 330 }]))
  t.match(detector.answer, { answeredBy: 'machine', cue: 'tone', ms: 200 })
})

t.test('nothing said for 3 s: not sure, and the call goes on', async (t) => {
  const detector = new AnswerDetector(PCM)
  feed(detector, audio([{ quiet: 2900 }]))
  t.equal(detector.answer, undefined)
  feed(detector, audio([{ quiet: 200 }]))
  t.same(detector.answer, { answeredBy: 'notsure', cue: 'silence', ms: 3000 })
})

t.test('mu-law and other rates, and chunks that do not fill whole frames', async (t) => {
  const mulaw = new AnswerDetector({ encoding: 'mulaw', sampleRate: 8000 })
  feed(mulaw, pcmToMulaw(audio([{ voice: 2000 }])), 333)
  t.match(mulaw.answer, { answeredBy: 'machine', cue: 'long-greeting' })
  const wide = new AnswerDetector({ encoding: 'pcm16', sampleRate: 16000 })
  feed(wide, audio([{ voice: 500 }, { quiet: 1000 }], 16000), 3202)
  t.match(wide.answer, { answeredBy: 'human', cue: 'short-greeting' })
})

t.test('Exotel\'s word stands when it comes first; the audio\'s when it does', async (t) => {
  const told = new AnswerDetector(PCM)
  t.same(told.told('machine'), { answeredBy: 'machine', cue: 'exotel', ms: 0 })
  feed(told, audio([{ voice: 500 }, { quiet: 1000 }]))
  t.match(told.answer, { answeredBy: 'machine', cue: 'exotel' })
  const heard = new AnswerDetector(PCM)
  feed(heard, audio([{ voice: 500 }, { quiet: 1000 }]))
  t.match(heard.told('machine'), { answeredBy: 'human', cue: 'short-greeting' })
})
