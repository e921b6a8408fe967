import { mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { createCall } from '../../../lib/calls/calls.js'
import { Recordings } from '../../../lib/recordings/recordings.js'
import { repairWav, StereoRecording, stereoWavHeader } from '../../../lib/recordings/stereo.js'
import { RecordingWriter } from '../../../lib/recordings/writer.js'
import { pcmToMulaw } from '../../../lib/voice/audio.js'
import { migratedDatabase } from '../../helper.js'

const RATE = 8000
/** `ms` of one constant sample value, as 16-bit PCM. */
const level = (value: number, ms: number) => { const pcm = Buffer.alloc(RATE * ms / 1000 * 2); for (let i = 0; i < pcm.length; i += 2) pcm.writeInt16LE(value, i); return pcm }
/** The samples of one channel of a stereo WAV. */
const channel = (wav: Buffer, which: 0 | 1) => { const out: number[] = []; for (let at = 44 + which * 2; at + 1 < wav.length; at += 4) out.push(wav.readInt16LE(at)); return out }

function writer (t: { teardown (fn: () => unknown): void }) {
  const started = new RecordingWriter()
  t.teardown(() => started.close())
  return started
}

async function tempDir (t: { teardown (fn: () => unknown): void }) {
  const dir = await mkdtemp(path.join(tmpdir(), 'vcm-rec-test-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

t.test('the assistant is placed where it starts playing, beside the customer; a clear drops what had not played', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'call.wav')
  const recording = await StereoRecording.open(writer(t), file, { encoding: 'pcm16', sampleRate: 8000 })
  recording.caller(level(100, 500)) // 0.0-0.5 s: the customer
  recording.assistant(level(200, 400), 100) // plays 0.6-1.0 s (sent 100 ms ahead)
  recording.assistant(level(300, 1000), 500) // would play 1.0-2.0 s ...
  recording.caller(level(100, 800)) // ... the customer talks to 1.3 s
  recording.clear() // and barges in at 1.3 s: the rest was never heard
  recording.caller(level(100, 700)) // to 2.0 s
  t.same(await recording.finish(), { bytes: 44 + 2 * RATE * 4, durationMs: 2000 })

  const wav = await readFile(file)
  t.same(wav.subarray(0, 44), stereoWavHeader(RATE, 2 * RATE * 4), 'a finished header')
  const left = channel(wav, 0)
  const right = channel(wav, 1)
  t.ok(left.every((sample) => sample === 100), 'the customer throughout, on the left')
  const at = (seconds: number) => right[Math.round(seconds * RATE)]
  t.same([at(0.3), at(0.59), at(0.6), at(0.99), at(1.0), at(1.29), at(1.3), at(1.9)], [0, 0, 200, 200, 300, 300, 0, 0],
    'the assistant from where it started playing, cut where the customer barged in')
})

t.test('audio sent further ahead than a second, and a customer frame longer than two, are placed where they play', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'call.wav')
  const recording = await StereoRecording.open(writer(t), file, { encoding: 'pcm16', sampleRate: 8000 })
  recording.caller(level(100, 250))
  recording.assistant(level(200, 3000), 250) // plays 0.5-3.5 s: beyond the two seconds held now
  recording.caller(level(100, 1000)) // to 1.25 s
  recording.caller(level(100, 3750)) // one long frame, to 5.0 s
  recording.assistant(level(400, 500), 2000) // would play 7.0-7.5 s ...
  recording.clear() // ... and is dropped at 5.0 s, unplayed
  recording.caller(level(100, 3000)) // to 8.0 s
  t.same(await recording.finish(), { bytes: 44 + 8 * RATE * 4, durationMs: 8000 })
  const wav = await readFile(file)
  t.ok(channel(wav, 0).every((sample) => sample === 100), 'the customer throughout')
  const right = channel(wav, 1)
  const at = (seconds: number) => right[Math.round(seconds * RATE)]
  t.same([at(0.49), at(0.5), at(1.9), at(2.1), at(3.49), at(3.5), at(7.2)], [0, 200, 200, 200, 200, 0, 0])
})

t.test('mu-law streams are recorded as 16-bit PCM at 8 kHz', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'call.wav')
  const recording = await StereoRecording.open(writer(t), file, { encoding: 'mulaw', sampleRate: 8000 })
  recording.caller(pcmToMulaw(level(1000, 1200)))
  await recording.finish()
  const left = channel(await readFile(file), 0)
  t.equal(left.length, 9600)
  t.ok(left.every((sample) => Math.abs(sample - 1000) < 40), 'decoded')
})

t.test('a recording a crash left unfinished is made playable at start; retention deletes the old', async (t) => {
  const db = await migratedDatabase(t)
  const dir = await tempDir(t)
  const logged: string[] = []
  const recordings = new Recordings(db, dir, undefined, (message) => logged.push(message))
  t.teardown(() => recordings.close())
  const call = await createCall(db, { customerId: 'C1', customerName: null, phone: '+919000000100', triggeredBy: 'sub' })
  const live = await recordings.begin(call.id, { encoding: 'pcm16', sampleRate: 8000 })
  for (let frame = 0; frame < 25; frame++) live.caller(level(500, 100)) // 2.5 s, of which a second at a time reaches the disk
  // The two whole seconds reach the disk (handed to the writer's thread within a tenth of a second), the half does not.
  const part = path.join(dir, `${call.id}.wav.part`)
  for (let i = 0; i < 250 && (await stat(part)).size < 44 + 2 * RATE * 4; i++) await new Promise((resolve) => setTimeout(resolve, 20))
  t.equal(await recordings.find(db, call.id), undefined, 'not playable while it goes on')
  // As a crash leaves it: the header says nothing was recorded, and half a sample pair trails.
  await writeFile(path.join(dir, `${call.id}.wav.part`), Buffer.concat([await readFile(path.join(dir, `${call.id}.wav.part`)), Buffer.from([1, 2])]))

  const restarted = new Recordings(db, dir, undefined, (message) => logged.push(message))
  t.teardown(() => restarted.close())
  t.same(await restarted.repair(), [call.id])
  t.same(logged, ['recordings: an unfinished recording repaired'])
  const row = await restarted.find(db, call.id)
  t.match(row, { storage: 'folder', key: `${call.id}.wav`, bytes: 44 + 2 * RATE * 4, duration_ms: 2000 })
  const wav = await readFile(path.join(dir, `${call.id}.wav`))
  t.equal(wav.readUInt32LE(40), 2 * RATE * 4, 'its header says what reached the disk, in whole sample pairs')
  t.equal(wav.length, 44 + 2 * RATE * 4)
  t.same(await restarted.repair(), [], 'once')

  t.equal(await restarted.sweep(30, new Date()), 0, 'kept for 30 days')
  t.equal(await restarted.sweep(30, new Date(Date.now() + 31 * 86_400_000)), 1, 'deleted after')
  t.notOk(existsSync(path.join(dir, `${call.id}.wav`)), 'with its file')
})

t.test('odd-aligned audio is read as well; a file that is not a WAV is repaired into an empty one', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'call.wav')
  const recording = await StereoRecording.open(writer(t), file, { encoding: 'pcm16', sampleRate: 8000 })
  const odd = Buffer.alloc(1 + 1600)
  level(700, 100).copy(odd, 1)
  recording.caller(odd.subarray(1)) // a view at an odd offset
  await recording.finish()
  t.ok(channel(await readFile(file), 0).every((sample) => sample === 700))

  const junk = path.join(dir, 'junk.wav.part')
  await writeFile(junk, Buffer.from('not a recording'))
  const handle = await open(junk, 'r+')
  t.same(await repairWav(handle), { bytes: 44, durationMs: 0 }, 'what cannot be read is not kept')
  await handle.close()
  t.same(await readFile(junk), stereoWavHeader(8000, 0))
})

t.test('a recording whose upload fails is kept in the folder, where it plays from', async (t) => {
  const db = await migratedDatabase(t)
  const dir = await tempDir(t)
  const logged: string[] = []
  const failing = { put: async () => { throw new Error('bucket away') }, get: async () => { throw new Error('no') }, remove: async () => {} }
  const recordings = new Recordings(db, dir, failing, (message) => logged.push(message))
  t.teardown(() => recordings.close())
  const call = await createCall(db, { customerId: 'C1', customerName: null, phone: '+919000000100', triggeredBy: 'sub' })
  const live = await recordings.begin(call.id, { encoding: 'pcm16', sampleRate: 8000 })
  live.caller(level(10, 1000))
  await live.finish()
  t.same(logged, ['recordings: the upload failed, the recording is kept in the folder'])
  t.match(await recordings.find(db, call.id), { storage: 'folder', duration_ms: 1000 })
  t.ok(existsSync(path.join(dir, `${call.id}.wav`)))
})

t.test('a recording that cannot be written says so when it is finished', async (t) => {
  const dir = await tempDir(t)
  const recordings = writer(t)
  await t.rejects(recordings.open(path.join(dir, 'no-such-folder', 'call.wav'), stereoWavHeader(8000, 0)), { code: 'ENOENT' },
    'a file that cannot be made')
  const full = await recordings.open('/dev/full', stereoWavHeader(8000, 0)) // a disk that is full
  const good = await recordings.open(path.join(dir, 'good.wav'), stereoWavHeader(8000, 0))
  full.block(44, new Int16Array(8), new Int16Array(8))
  good.block(44, new Int16Array(8).fill(1), new Int16Array(8).fill(2)) // handed over with the full disk's blocks
  full.block(76, new Int16Array(8), new Int16Array(8))
  await t.rejects(full.finish(stereoWavHeader(8000, 64)), { code: 'ENOSPC' }, 'the failure is told at the finish')
  await good.finish(stereoWavHeader(8000, 32))
  t.same(channel(await readFile(path.join(dir, 'good.wav')), 1), Array(8).fill(2), 'another file is written all the same')
  await recordings.close()
  await recordings.close()
  await t.rejects(recordings.open(path.join(dir, 'late.wav'), stereoWavHeader(8000, 0)), /closed/, 'nothing is opened after the close')
})

t.test("a writer's thread that fails fails its recordings, not the server, and the next ones at once", async (t) => {
  const dir = await tempDir(t)
  // A thread that fails at its first request, as one that ran out of memory would.
  const failing = new RecordingWriter(new URL(`data:text/javascript,${encodeURIComponent(
    "import { parentPort } from 'node:worker_threads'; parentPort.on('message', () => { throw new Error('out of room') })")}`))
  t.teardown(() => failing.close())
  await t.rejects(failing.open(path.join(dir, 'a.wav'), stereoWavHeader(8000, 0)), { message: "The recordings' writer stopped: out of room" })
  await t.rejects(failing.open(path.join(dir, 'b.wav'), stereoWavHeader(8000, 0)), { message: "The recordings' writer stopped: out of room" },
    'the next, at once')
  await failing.close() // nothing to wait for
  t.notOk(existsSync(path.join(dir, 'a.wav')))
})
