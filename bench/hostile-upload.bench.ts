// The worst uploads of issue 15 while live calls stream: a zip bomb (one workbook cell of 420 MB once unzipped), a
// CSV with a 5 MB cell, and a workbook of 25 million blank rows, each uploaded in turn while BENCH_CALLS (default
// 200) callers stream to the app's echo assistant. Printed: each file's size and time to its refusal, the peak
// memory of the server and its file reader above what they held before, and the callers' echo p99 against the
// same callers in the same run with no upload (goals: refusal within 1 s, memory under 256 MB above idle, p99 at
// most 1.5 times).
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { promisify } from 'node:util'
import JSZip from 'jszip'
import { appCallers, run, startServer, stopApp } from './live-calls.js'

const CALLS = Number(process.env.BENCH_CALLS ?? 200)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)

/** Text made of `head`, `repeat` given `times` (in chunks, never held whole), then `tail`. */
function streamed (head: string, repeat: string, times: number, tail: string): Readable {
  return Readable.from((function * () {
    yield head
    const chunk = repeat.repeat(Math.max(1, Math.floor(1024 * 1024 / repeat.length)))
    const perChunk = chunk.length / repeat.length
    for (let done = 0; done < times; done += perChunk) yield done + perChunk <= times ? chunk : repeat.repeat(times - done)
    yield tail
  })())
}

/** A workbook whose first sheet is `sheet`, zipped as Excel does (deflate), streamed through the zip. */
async function workbook (sheet: Readable): Promise<Buffer> {
  const zip = new JSZip()
  zip.file('[Content_Types].xml', '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
    '<Default Extension="xml" ContentType="application/xml"/></Types>')
  zip.file('xl/workbook.xml', '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets>' +
    '<sheet name="Customers" sheetId="1"/></sheets></workbook>')
  zip.file('xl/worksheets/sheet1.xml', sheet)
  return await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 9 } })
}

const SHEET = '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
console.log('\nbuilding the files...')
const built = mkdtempSync(path.join(tmpdir(), 'vcm-bench-files-'))
const saved = (name: string, content: Buffer) => { writeFileSync(path.join(built, name), content); return path.join(built, name) }
const files: Array<[string, string, string]> = [
  ['zip bomb: a 420 MB cell', 'bomb.xlsx', saved('bomb.xlsx', await workbook(streamed(`${SHEET}<row r="1"><c r="A1" t="inlineStr"><is><t>`, 'A', 420 * 1024 * 1024, '</t></is></c></row></sheetData></worksheet>')))],
  ['CSV with a 5 MB cell', 'cell.csv', saved('cell.csv', Buffer.from(`phone,note\n9000000001,${'x'.repeat(5 * 1024 * 1024)}\n`))],
  ['25 million blank rows', 'blank.xlsx', saved('blank.xlsx', await workbook(streamed(`${SHEET}<row r="1"><c r="A1" t="inlineStr"><is><t>phone</t></is></c></row>`, '<row/>', 25_000_000, '</sheetData></worksheet>')))]
]

/** Resident memory of a process and its children (the file reader), in MB, from /proc. */
function memoryMb (pid: number): number {
  const rss = (id: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${id}/status`, 'utf8'))?.[1] ?? 0) / 1024
  const children = readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number).filter((id) => {
    try { return readFileSync(`/proc/${id}/stat`, 'utf8').split(') ')[1]!.split(' ')[1] === String(pid) } catch { return false }
  })
  return rss(pid) + children.reduce((sum, id) => sum + rss(id), 0)
}

/** Uploads a file with curl, in a process of its own: the callers' timing in this one is not disturbed. */
async function upload (file: string, fileName: string) {
  const { stdout } = await promisify(execFile)('curl', ['-s', '-w', '\n%{http_code}', '-H', `authorization: ${app.ready.authorization!}`,
    '-F', `file=@${file};filename=${fileName}`, `${app.ready.url!}/api/upload-customers`], { maxBuffer: 1024 * 1024 })
  const [body, status] = stdout.split('\n')
  return { status: Number(status), message: (JSON.parse(body!) as { message: string }).message }
}

process.env.BENCH_LOG_LEVEL = 'info' // the sign-up's confirmation code is read from the log
const app = await startServer(['app', String(CALLS)])
const pid = app.child.pid!
// One upload first, so that the file reader process is started and counted in the idle figure, as on a server in use.
await upload(saved('warm.csv', Buffer.from(`phone\n${'9000000002\n'.repeat(10_000)}`)), 'warm.csv') // over 64 KB: read by the reader process

const quiet = await run(CALLS, app, async () => await appCallers(app.ready), SECONDS)
const idleMb = memoryMb(pid)
let peakMb = idleMb
const sampler = setInterval(() => { peakMb = Math.max(peakMb, memoryMb(pid)) }, 20)
const refusals: Array<{ name: string, bytes: number, ms: number, status: number, message: string }> = []
const loud = await run(CALLS, app, async () => await appCallers(app.ready), SECONDS, async () => {
  for (const [name, fileName, content] of files) {
    const started = performance.now()
    const { status, message } = await upload(content, fileName)
    refusals.push({ name, bytes: readFileSync(content).length, ms: performance.now() - started, status, message })
  }
})
clearInterval(sampler)
await stopApp(app.child)

console.log(`\nthe worst uploads, each refused while ${CALLS} live calls stream`)
console.log('file'.padEnd(26), 'size'.padStart(10), 'refused in'.padStart(11), 'status'.padStart(7), ' message')
for (const refusal of refusals) {
  console.log(refusal.name.padEnd(26), `${(refusal.bytes / 1024).toFixed(0)} KB`.padStart(10), `${refusal.ms.toFixed(0)} ms`.padStart(11),
    String(refusal.status).padStart(7), ` ${refusal.message.slice(0, 90)}`)
}
console.log(`memory of the server and its file reader: ${idleMb.toFixed(0)} MB before, peak ${peakMb.toFixed(0)} MB: ` +
  `${(peakMb - idleMb).toFixed(0)} MB above (goal: under 256)`)
console.log(`live calls' echo p99: ${quiet.p99.toFixed(1)} ms with no upload, ${loud.p99.toFixed(1)} ms during the uploads: ` +
  `${(loud.p99 / quiet.p99).toFixed(2)}x (goal: at most 1.5x); echoes ${loud.echoes}/${loud.expected}`)
