import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import t from 'tap'
import { saveUpload } from '../../../lib/uploads/save-upload.js'

const failing = (error: Error) => new Readable({ read () { this.destroy(error) } })

t.test('an upload is written to disk; each way it can fail keeps the right status', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'vcm-save-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await saveUpload(Readable.from([Buffer.from('phone\n'), Buffer.from('9000000001\n')]), path.join(dir, 'a'))
  t.equal(await readFile(path.join(dir, 'a'), 'utf8'), 'phone\n9000000001\n')

  await t.rejects(saveUpload(failing(new Error('Unexpected end of multipart data')), path.join(dir, 'b')), {
    statusCode: 400, message: 'The upload is not a complete multipart/form-data body (Unexpected end of multipart data)'
  }, 'a body that breaks off is the client\'s error')
  const limited = Object.assign(new Error('reach parts limit'), { statusCode: 413 })
  await t.rejects(saveUpload(failing(limited), path.join(dir, 'c')), limited, 'a refusal keeps its status')
  await t.rejects(saveUpload(Readable.from(['x']), path.join(dir, 'missing', 'd')), { code: 'ENOENT' },
    'failing to write stays a server error')
})
