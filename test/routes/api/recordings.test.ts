import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import t from 'tap'
import { s3Store } from '../../../lib/recordings/s3.js'
import { stereoWavHeader } from '../../../lib/recordings/stereo.js'
import { appWithCustomers, build, capturingLogger, FAST_CALLS, seededDataDir, testClock, testUsers, until } from '../../helper.js'
import { localS3 } from '../../local-s3.js'

// 4 answers and talks over the assistant, then presses 1; 1 is busy.
const CSV = 'customer_id,name,phone\nR1,Asha,9000000104\nR2,Ravi,9000000101\n'

/** The loudness (RMS) of one channel of a stereo 16-bit WAV's samples. */
function loudness (wav: Buffer, channel: 0 | 1): number {
  let sum = 0
  let n = 0
  for (let at = 44 + channel * 2; at + 1 < wav.length; at += 4) { const s = wav.readInt16LE(at); sum += s * s; n++ }
  return Math.sqrt(sum / n)
}

async function calledAndEnded (app: Awaited<ReturnType<typeof appWithCustomers>>, customerId: string, key: string) {
  const single = await app.app.inject({
    method: 'POST', url: '/api/trigger-single-call', payload: { customer_id: customerId }, headers: { authorization: app.authorization, 'idempotency-key': key }
  })
  const id = single.json().call.id as string
  const read = async () => (await app.get(`/api/calls/${id}`)).json().call
  await until(async () => { const call = await read(); return call.status !== 'in-progress' && call.ended_at !== null && (call.conversation === null || call.conversation.ended_at !== null) }, 'the call to end')
  await until(async () => (await read()).recording !== null || (await read()).conversation === null, 'the recording to finish', 100).catch(() => {})
  return await read()
}

t.test('a call is recorded from its stream as a stereo WAV, served whole or in ranges; an unanswered one has none', async (t) => {
  const app = await appWithCustomers(t, FAST_CALLS, CSV)
  const call = await calledAndEnded(app, 'R1', 'rec-1')
  t.match(call.recording, { url: `/api/calls/${call.id as string}/recording`, started_at: /./, duration_ms: Number, bytes: Number })
  t.ok(call.recording.duration_ms > 1000, `${call.recording.duration_ms as number} ms recorded`)
  const size = call.recording.bytes as number

  const viewer = await testUsers(app.app, app.lines).withRole('viewer')
  const fetch = (range?: string) => app.app.inject({ url: call.recording.url, headers: { authorization: viewer.authorization, ...range ? { range } : {} } })
  const whole = await fetch()
  t.equal(whole.statusCode, 200)
  t.match(whole.headers, { 'content-type': 'audio/wav', 'accept-ranges': 'bytes', 'content-length': String(size) })
  const wav = whole.rawPayload
  t.equal(wav.length, size)
  t.equal(wav.toString('latin1', 0, 4), 'RIFF')
  t.equal(wav.readUInt16LE(22), 2, 'stereo')
  t.equal(wav.readUInt32LE(24), 8000, 'at the stream\'s rate')
  t.equal(wav.readUInt32LE(40), size - 44, 'the header says the size: the file is finished')
  t.ok(loudness(wav, 0) > 300, `the customer on the left (${Math.round(loudness(wav, 0))})`)
  t.ok(loudness(wav, 1) > 300, `the assistant on the right (${Math.round(loudness(wav, 1))})`)

  const head = await fetch('bytes=0-43')
  t.equal(head.statusCode, 206)
  t.equal(head.headers['content-range'], `bytes 0-43/${size}`)
  t.same(head.rawPayload, wav.subarray(0, 44), 'the part asked for')
  const tail = await fetch('bytes=-100')
  t.equal(tail.statusCode, 206)
  t.same(tail.rawPayload, wav.subarray(size - 100), 'the last bytes, so a player can seek to the end')
  const outside = await fetch(`bytes=${size}-`)
  t.equal(outside.statusCode, 416)
  t.equal(outside.headers['content-range'], `bytes */${size}`)
  t.same(outside.json(), { success: false, message: `The recording has ${size} bytes: that range is outside it` })
  t.equal((await fetch('chunks=1-2')).statusCode, 200, 'a range not understood: the whole file')
  t.equal((await fetch('bytes=0-1,5-6')).rawPayload.length, size, 'several ranges: the whole file')

  const busy = await calledAndEnded(app, 'R2', 'rec-2')
  t.equal(busy.recording, null, 'nobody answered: nothing recorded')
  t.same((await app.get(`/api/calls/${busy.id as string}/recording`)).json(),
    { success: false, message: 'No recording of this call (not recorded, not ended yet, or deleted)' })

  // Deleting the customer deletes their recording, file and all.
  const file = path.join(app.app.recordings.dir, `${call.id as string}.wav`)
  t.ok(existsSync(file), 'kept in the recordings folder')
  await app.app.inject({ method: 'DELETE', url: '/api/customers/R1', headers: { authorization: app.authorization } })
  t.equal((await fetch()).statusCode, 404)
  t.notOk(existsSync(file), 'the file is gone')
})

t.test('with RECORDINGS=off nothing is recorded; with EXOTEL_RECORD Exotel\'s recording link is kept on the call', async (t) => {
  const app = await appWithCustomers(t, { ...FAST_CALLS, RECORDINGS: 'off', EXOTEL_RECORD: 'true' }, CSV)
  const call = await calledAndEnded(app, 'R1', 'rec-3')
  t.equal(call.status, 'completed')
  t.equal(call.recording, null)
  t.match(call.recording_url, /^https:\/\/recordings\.exotel\.com\/.+\.mp3$/, 'Exotel recorded it, as asked')
})

t.test('with a bucket, each finished recording is uploaded to it and served from it, ranges and all', async (t) => {
  const s3 = await localS3(t)
  const app = await appWithCustomers(t, {
    ...FAST_CALLS,
    RECORDINGS_S3_BUCKET: 'recordings',
    RECORDINGS_S3_PREFIX: 'vcm/',
    RECORDINGS_S3_ENDPOINT: s3.endpoint,
    RECORDINGS_S3_ACCESS_KEY_ID: s3.credentials.accessKeyId,
    RECORDINGS_S3_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey
  }, CSV)
  const call = await calledAndEnded(app, 'R1', 'rec-s3')
  const size = call.recording.bytes as number
  const { rows: [row] } = await app.app.db.query<{ storage: string, key: string }>('SELECT storage, key FROM call_recording WHERE call_id = $1', [call.id])
  t.same(row, { storage: 's3', key: `${call.id as string}.wav` })
  t.notOk(existsSync(path.join(app.app.recordings.dir, `${call.id as string}.wav`)), 'not kept in the folder too')
  const whole = await app.get(call.recording.url)
  t.equal(whole.rawPayload.length, size)
  t.equal(whole.rawPayload.readUInt32LE(40), size - 44, 'the finished file')
  const part = await app.app.inject({ url: call.recording.url, headers: { authorization: app.authorization, range: 'bytes=40-43' } })
  t.equal(part.statusCode, 206)
  t.same(part.rawPayload, whole.rawPayload.subarray(40, 44), 'a range, read from the bucket')

  const bucket = s3Store({ bucket: 'recordings', prefix: 'vcm/', region: 'ap-south-1', ...s3 })
  t.teardown(() => bucket.destroy())
  t.equal((await bucket.get(`${call.id as string}.wav`)).size, size, 'in the bucket, under the prefix')
  await app.app.inject({ method: 'DELETE', url: '/api/customers/R1', headers: { authorization: app.authorization } })
  await t.rejects(bucket.get(`${call.id as string}.wav`), { name: 'NoSuchKey' }, 'deleting the customer deletes it from the bucket')
})

t.test('RECORDING_RETENTION_DAYS deletes recordings older than that', async (t) => {
  const clock = testClock()
  const app = await appWithCustomers(t, { ...FAST_CALLS, RECORDING_RETENTION_DAYS: '1' }, CSV, { clock: clock.now })
  const call = await calledAndEnded(app, 'R1', 'rec-retention')
  t.equal((await app.get(call.recording.url)).statusCode, 200)
  clock.advance(2 * 86_400_000)
  // Said in the log once the rows and the files are gone.
  await until(async () => app.lines.some((line) => line.includes('retention: recordings past RECORDING_RETENTION_DAYS deleted')), 'the recording to be deleted')
  t.equal((await app.get(call.recording.url)).statusCode, 404)
  t.notOk(existsSync(path.join(app.app.recordings.dir, `${call.id as string}.wav`)), 'its file too')
})

t.test('a recording a crash left unfinished is repaired when the server starts', async (t) => {
  const dataDir = await seededDataDir(t)
  await mkdir(path.join(dataDir, 'recordings'), { recursive: true })
  const left = path.join(dataDir, 'recordings', '00000000-0000-4000-8000-0000000000aa.wav.part')
  await writeFile(left, Buffer.concat([stereoWavHeader(8000, 0), Buffer.alloc(32_000)]))
  const { lines, logger } = capturingLogger()
  await build(t, { logger, env: { DATA_DIR: dataDir, RECORDINGS_S3_BUCKET: 'no-keys-given' } })
  t.ok(lines.some((line) => line.includes('recordings: unfinished recordings repaired')), 'said in the log')
  t.equal((await readFile(left.replace(/\.part$/, ''))).readUInt32LE(40), 32_000, 'playable')
})
