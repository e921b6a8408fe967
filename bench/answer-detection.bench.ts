// Who answered: the answering-machine detector (lib/voice/answer-detector.ts) on a labelled set made here
// (bench/answer-set.ts: people's short openings, voicemail greetings with beeps, network messages, IVR menus, dead
// air; spoken offline, with line noise), fed as a stream is, in 100 ms frames. Prints its accuracy by kind, the time
// it took to tell (goal: >= 95 % right within 3 s, no person taken for a machine), and its CPU per second of audio
// against the speech detector's (loudness alone) on the same audio, measured in the same run.
import { answerSet, type Label } from './answer-set.js'
import { percentile } from './live-calls.js'
import { AnswerDetector } from '../lib/voice/answer-detector.js'
import { SpeechDetector } from '../lib/voice/speech-detector.js'
import type { MediaFormat } from '../lib/voice/format.js'

const FORMAT: MediaFormat = { encoding: 'pcm16', sampleRate: 8000 }
const FRAME = 1600 // 100 ms
const set = await answerSet(Number(process.env.BENCH_SEED ?? 1))

const rows = new Map<Label, { right: number, all: number, ms: number[] }>()
let right = 0
let withinGoal = 0
let peopleTakenForMachines = 0
for (const sample of set) {
  const detector = new AnswerDetector(FORMAT)
  for (let at = 0; at < sample.pcm.length && !detector.answer; at += FRAME) detector.push(sample.pcm.subarray(at, at + FRAME))
  const answer = detector.answer
  const row = rows.get(sample.label) ?? { right: 0, all: 0, ms: [] }
  rows.set(sample.label, row)
  row.all++
  if (answer?.answeredBy === sample.label) {
    row.right++
    right++
    row.ms.push(answer.ms)
    if (answer.ms <= 3000) withinGoal++
  } else {
    console.log(`  wrong: ${sample.name} -> ${answer ? `${answer.answeredBy} (${answer.cue})` : 'undecided'}`)
  }
  if (sample.label === 'human' && answer?.answeredBy === 'machine') peopleTakenForMachines++
}

console.log(`\nanswering-machine detection: ${set.length} labelled openings, 8 kHz with line noise`)
console.log('kind'.padEnd(10), 'right'.padStart(8), 'p50 ms'.padStart(8), 'p95 ms'.padStart(8), 'max ms'.padStart(8))
for (const [label, row] of rows) {
  console.log(label.padEnd(10), `${row.right}/${row.all}`.padStart(8), String(percentile(row.ms, 0.5)).padStart(8),
    String(percentile(row.ms, 0.95)).padStart(8), String(Math.max(...row.ms)).padStart(8))
}
console.log(`right: ${(100 * right / set.length).toFixed(1)} %, right within 3 s: ${(100 * withinGoal / set.length).toFixed(1)} % (goal >= 95 %), ` +
  `people taken for machines: ${peopleTakenForMachines} (goal 0)`)

// CPU: every sample's first 5 s through each detector (the answer detector does not stop once it has told), 3 rounds.
const audioSeconds = set.reduce((sum, sample) => sum + Math.min(sample.pcm.length, 80_000) / 16_000, 0)
function cpu (feed: (pcm: Buffer) => void): number {
  const started = process.cpuUsage()
  for (let round = 0; round < 3; round++) for (const sample of set) feed(sample.pcm.subarray(0, 80_000))
  const used = process.cpuUsage(started)
  return (used.user + used.system) / 1000 / (3 * audioSeconds)
}
const frames = (pcm: Buffer, push: (chunk: Buffer) => unknown) => { for (let at = 0; at < pcm.length; at += FRAME) push(pcm.subarray(at, at + FRAME)) }
const baseline = cpu((pcm) => { const detector = new SpeechDetector(FORMAT); frames(pcm, (chunk) => detector.push(chunk)) })
const detection = cpu((pcm) => { const detector = new AnswerDetector(FORMAT); frames(pcm, (chunk) => detector.push(chunk)) })
console.log(`CPU per second of audio: speech detector ${baseline.toFixed(3)} ms (baseline), answer detector ${detection.toFixed(3)} ms ` +
  `(${(detection / baseline).toFixed(1)}x)`)
process.exit(0) // the speech engine's worker
