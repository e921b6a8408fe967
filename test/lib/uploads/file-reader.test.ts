import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { UploadError } from '../../../lib/uploads/upload-error.js'
import { FileReader, loaderOptions } from '../../../lib/uploads/file-reader.js'

const limits = { maxCellChars: 1000, maxRecords: 100_000, maxExpandedBytes: 2 * 1024 * 1024 }

async function fileOf (t: { teardown (fn: () => unknown): void }, content: string) {
  const dir = await mkdtemp(path.join(tmpdir(), 'vcm-reader-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'customers.csv')
  await writeFile(file, content)
  return file
}

const rowsOf = (count: number) => `phone\n${Array.from({ length: count }, (_, i) => 9000000000 + i).join('\n')}\n`

t.test('a small file is parsed where it lands, a larger one by the reader process', async (t) => {
  const reader = new FileReader(limits, 256, 1024)
  t.teardown(() => reader.close())
  for (const customers of [10, 1000]) {
    let count = 0
    for await (const row of (await reader.open(await fileOf(t, rowsOf(customers)))).rows) count += row.cells.length
    t.equal(count, customers + 1)
  }
})

t.test('records come in order from the reader, in batches, and one reader serves read after read', async (t) => {
  const reader = new FileReader(limits, 256, 0)
  t.teardown(() => reader.close())
  for (const records of [1235, 1000]) { // batches of 500: the last one part full, then all full
    const file = await fileOf(t, rowsOf(records - 1))
    const numbers: number[] = []
    for await (const row of (await reader.open(file)).rows) numbers.push(row.number)
    t.equal(numbers.length, records)
    t.same(numbers.slice(0, 3), [1, 2, 3])
    t.equal(numbers.at(-1), records)
  }
})

t.test('a read left early is cancelled, and the worker goes on serving others', async (t) => {
  const reader = new FileReader(limits, 256, 0)
  t.teardown(() => reader.close())
  const file = await fileOf(t, rowsOf(5000))
  let taken = 0
  for await (const row of (await reader.open(file)).rows) {
    if (++taken === 700) break
    if (row.number !== taken) t.fail(`row ${taken} came as ${row.number}`)
  }
  let all = 0
  for await (const row of (await reader.open(file)).rows) all += row.cells.length
  t.equal(all, 5001)
})

t.test('a file gone before it is read fails with the reason, as a failure of ours', async (t) => {
  const reader = new FileReader(limits, 256, 0)
  t.teardown(() => reader.close())
  const file = await fileOf(t, rowsOf(3))
  const opened = await reader.open(file)
  await rm(file)
  const read = async () => { for await (const row of opened.rows) t.fail(`no row: ${row.number}`) }
  const error = await read().then(() => undefined, (error: Error) => error)
  t.match(error?.message, /ENOENT/)
  t.notOk(error instanceof UploadError, 'not a refusal of the file: a 500')
})

t.test('a reader that runs out of memory fails the read with 413, and the next read starts another', async (t) => {
  // Room to start (its loaders' thread too: one that runs out while the reader waits on it hangs the process, as
  // Node 20 does), but not for one cell of 64 MB, which these limits let through.
  const reader = new FileReader({ ...limits, maxCellChars: 128 * 1024 * 1024 }, 32, 0)
  t.teardown(() => reader.close())
  const file = await fileOf(t, `phone\n"${'9'.repeat(64 * 1024 * 1024)}"\n`)
  for (let round = 0; round < 2; round++) {
    const read = async () => { for await (const row of (await reader.open(file)).rows) t.ok(row) }
    await t.rejects(read(), { statusCode: 413, message: 'Reading the file needed more than the 32 MB of memory a file may use' })
  }
})

t.test('a reader closed during a read ends it with a failure, not a hang', async (t) => {
  const reader = new FileReader(limits, 256, 0)
  const file = await fileOf(t, rowsOf(5000))
  const rows = (await reader.open(file)).rows[Symbol.asyncIterator]()
  t.equal((await rows.next()).value?.number, 1)
  // The reader has sent its next batch by now (it reads one ahead): taking it asks a reader that is gone for more.
  await new Promise((resolve) => setTimeout(resolve, 500))
  await reader.close()
  const rest = async () => { for (let next = await rows.next(); !next.done; next = await rows.next()); }
  await t.rejects(rest(), { message: 'The file reader stopped' })
  await reader.close() // twice is harmless
})

t.test("the reader takes this process's loaders, never code it runs", async (t) => {
  t.same(loaderOptions(['--import=file:///tap.mjs', '--enable-source-maps', '--import', 'file:///tsx/loader.mjs', '-r', 'x.cjs']),
    ['--import=file:///tap.mjs', '--enable-source-maps', '--import', 'file:///tsx/loader.mjs', '-r', 'x.cjs'])
  t.same(loaderOptions(['--input-type=module', '-e', 'import("../customers/server.js")', '--max-old-space-size=99', '-p', '1']), [],
    'an -e, whose code would start a reader of its own, and a heap limit of its own')
})
