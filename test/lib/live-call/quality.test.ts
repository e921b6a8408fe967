import t from 'tap'
import { QualityMeter } from '../../../lib/live-call/quality.js'

const FORMAT = { encoding: 'pcm16', sampleRate: 8000 } as const
/** 100 ms of the caller: a voice, or silence. */
const frame = (voice: boolean) => { const pcm = Buffer.alloc(1600); if (voice) for (let i = 0; i < 1600; i += 2) pcm.writeInt16LE(i % 4 ? 4000 : -4000, i); return pcm }
/** `ms` of the assistant's audio. */
const speech = (ms: number) => Buffer.alloc(ms * 16)

function meter () {
  let now = 1000
  const quality = new QualityMeter(FORMAT, () => now)
  return { quality, at: (ms: number) => { now = 1000 + ms } }
}

t.test('first audio, a turn after speech and after a key, a barge-in and its reaction', async (t) => {
  const { quality, at } = meter()
  at(700)
  quality.assistantSent(speech(200), 0) // the greeting starts at 0.7 s
  quality.assistantSent(speech(200), 200)
  quality.utteranceEnded()
  // The caller speaks from 1.0 s to 2.0 s, then is quiet: the detector says so 0.7 s later.
  for (let ms = 1000; ms < 2000; ms += 100) { at(ms); quality.callerAudio(frame(true)) }
  for (let ms = 2000; ms < 3000; ms += 100) { at(ms); quality.callerAudio(frame(false)) }
  at(3000)
  quality.assistantSent(speech(1000), 0) // answered 1.0 s after they stopped
  at(3100); quality.callerAudio(frame(false))
  // They talk over it from 3.2 s; it is cleared at 3.5 s.
  for (let ms = 3200; ms < 3500; ms += 100) { at(ms); quality.callerAudio(frame(true)) }
  at(3500)
  quality.cleared()
  at(6000)
  quality.callerKey()
  at(6400)
  quality.assistantSent(speech(500), 0)
  quality.modelDelay(812.4)
  t.match(quality.result(), {
    first_audio_ms: 700,
    response_delays_ms: [1000, 400],
    barge_in_reactions_ms: [300],
    underruns: 0,
    stream_gaps: 0,
    model_delays_ms: [812]
  })
})

t.test('the assistant running dry mid-utterance is an underrun; a pause between utterances is not', async (t) => {
  const { quality, at } = meter()
  quality.assistantSent(speech(200), 0) // plays 0-0.2 s
  at(350)
  quality.assistantSent(speech(200), 0) // the next came 150 ms after it ran dry
  at(550)
  quality.assistantSent(speech(200), 0) // on time
  quality.utteranceEnded()
  at(2000)
  quality.assistantSent(speech(200), 0) // a new utterance
  t.equal(quality.result().underruns, 1)
})

t.test('gaps in the caller\'s stream and late frames are counted; each list is bounded', async (t) => {
  const { quality, at } = meter()
  at(0); quality.callerAudio(frame(false), 0)
  at(100); quality.callerAudio(frame(false), 100)
  at(650); quality.callerAudio(frame(false), 200) // 450 ms after the last frame ended, and 450 ms late
  at(750); quality.callerAudio(frame(false), 700)
  t.match(quality.result(), { stream_gaps: 1, longest_gap_ms: 450, late_frames: 1 })
  for (let i = 0; i < 300; i++) quality.modelDelay(i)
  t.equal(quality.result().model_delays_ms.length, 200, 'a call is minutes: at most 200 kept')
})

t.test('a click is no barge-in; voice after the assistant stopped playing is none either', async (t) => {
  const { quality, at } = meter()
  quality.assistantSent(speech(500), 0) // plays 0-0.5 s
  at(100); quality.callerAudio(frame(true)) // a click
  at(200); quality.callerAudio(frame(false))
  at(300); quality.cleared() // cleared for another reason: the click is over
  at(5000); quality.callerAudio(frame(true)) // long after
  at(5100); quality.callerAudio(frame(true))
  at(5200); quality.cleared()
  t.same(quality.result().barge_in_reactions_ms, [])
})
