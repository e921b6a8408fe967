import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { buffer } from 'node:stream/consumers'
import t from 'tap'
import { s3Store } from '../../../lib/recordings/s3.js'
import { localS3 } from '../../local-s3.js'

t.test('a long recording goes up in parts, and is read whole or in ranges; removed, it is gone', async (t) => {
  const s3 = await localS3(t)
  const store = s3Store({ bucket: 'recordings', prefix: 'calls/', region: 'ap-south-1', ...s3 })
  t.teardown(() => store.destroy())
  const dir = await mkdtemp(path.join(tmpdir(), 'vcm-s3-file-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'call.wav')
  const content = randomBytes(12 * 1024 * 1024 + 1234) // three parts of 5 MB at most: a call of about 12 minutes
  await writeFile(file, content)
  await store.put('call.wav', file)
  const whole = await store.get('call.wav')
  t.equal(whole.size, content.length)
  t.ok((await buffer(whole.body)).equals(content), 'whole, as written')
  const part = await store.get('call.wav', { start: 6_000_000, end: 6_000_099 })
  t.equal(part.size, content.length, 'the whole size, with a part')
  t.ok((await buffer(part.body)).equals(content.subarray(6_000_000, 6_000_100)), 'the range asked for')
  await store.remove(['call.wav'])
  await t.rejects(store.get('call.wav'), { name: 'NoSuchKey' })
})

t.test('without an endpoint or keys, Amazon S3 and the SDK\'s usual credentials are used', async (t) => {
  const store = s3Store({ bucket: 'recordings', prefix: '', region: 'ap-south-1' })
  t.type(store.put, 'function')
  store.destroy()
})
