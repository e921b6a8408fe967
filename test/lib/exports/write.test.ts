import t from 'tap'
import { neutralise, type ExportTable } from '../../../lib/exports/results.js'
import { csvStream, xlsxStream } from '../../../lib/exports/write.js'

/** A table of `pages` pages of `size` rows, failing after them when `fail` says so. */
function table (pages: number, size: number, fail = false): ExportTable {
  return {
    columns: ['n', 'text'],
    rows: (async function * () {
      for (let page = 0; page < pages; page++) yield Array.from({ length: size }, (_, i) => [page * size + i, 'x'.repeat(100)])
      if (fail) throw new Error('the database went away')
    })()
  }
}

const collect = async (stream: NodeJS.ReadableStream) => {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer))
  return Buffer.concat(chunks)
}

const quiet = { error: () => {} }

t.test('a reader that takes its time holds the writer back, and gets every row', async (t) => {
  const stream = csvStream(table(4, 500), quiet)
  await new Promise((resolve) => setTimeout(resolve, 50)) // nothing read yet: the writer waits for room
  t.ok(stream.readableLength < 500 * 100, `the writer stopped at ${stream.readableLength} bytes, not the whole file`)
  const text = (await collect(stream)).toString('utf8')
  t.equal(text.trim().split('\n').length, 2001, 'a header and every row')
})

t.test('a failure part-way cuts the file short and is logged', async (t) => {
  for (const write of [csvStream, xlsxStream]) {
    const logged: string[] = []
    const stream = write(table(1, 3, true), { error: (detail, message) => { logged.push(`${message}: ${(detail.err as Error).message}`) } })
    await t.rejects(collect(stream), /the database went away/, `${write.name}: the reader hears of it`)
    t.same(logged, ['export failed part-way: the database went away'], `${write.name}: and the log says why`)
  }
})

t.test('formula-like cells are neutralised; others are left as they are', async (t) => {
  for (const cell of ['=1+1', '+91 98', '-2', '@SUM(1)', '\tx', '\rx']) t.equal(neutralise(cell), `'${cell}`)
  for (const cell of ['plain', 'a=b', 42, null]) t.equal(neutralise(cell), cell)
})
