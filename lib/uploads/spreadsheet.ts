import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import { Transform } from 'node:stream'
import { TextDecoder } from 'node:util'
import type ExcelJS from 'exceljs'
import { parse } from 'fast-csv'
import { UploadError } from './upload-error.js'
import { checkWorkbook } from './workbook-limits.js'

export type Encoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252'

export type FileFormat =
  | { kind: 'csv', encoding: Encoding, delimiter: ',' | ';' | '\t', bomBytes: number }
  | { kind: 'xlsx' }

/** One record of the file: its row number as a spreadsheet shows it (the header is row 1) and its cells. */
export interface FileRow {
  number: number
  cells: string[]
}

const SAMPLE_BYTES = 64 * 1024

const BINARY_SIGNATURES: Array<[bytes: number[], name: string]> = [
  [[0xd0, 0xcf, 0x11, 0xe0], 'a legacy Excel (.xls) or other Office 97 file: save it as .xlsx or CSV'],
  [[0x25, 0x50, 0x44, 0x46], 'a PDF'],
  [[0x89, 0x50, 0x4e, 0x47], 'a PNG image'],
  [[0xff, 0xd8, 0xff], 'a JPEG image'],
  [[0x47, 0x49, 0x46, 0x38], 'a GIF image'],
  [[0x1f, 0x8b], 'a gzip archive']
]

const startsWith = (sample: Buffer, bytes: number[]) => bytes.every((byte, i) => sample[i] === byte)

/**
 * What the file is, from its first bytes: an .xlsx workbook (a ZIP), or text in some encoding (a BOM says which;
 * else UTF-8 when the sample decodes as UTF-8, else Windows-1252 as Excel writes "CSV" on Windows) separated by
 * whichever of comma, semicolon or tab its header line holds most of. Anything else is refused.
 */
export async function sniffFile (path: string): Promise<FileFormat> {
  const file = await open(path)
  let sample: Buffer
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(SAMPLE_BYTES), 0, SAMPLE_BYTES, 0)
    sample = buffer.subarray(0, bytesRead)
  } finally {
    await file.close()
  }
  if (sample.length === 0) throw new UploadError(400, 'The file is empty')
  if (startsWith(sample, [0x50, 0x4b, 0x03, 0x04])) return { kind: 'xlsx' }
  for (const [bytes, name] of BINARY_SIGNATURES) {
    if (startsWith(sample, bytes)) throw unsupported(`This is ${name}`)
  }

  let encoding: Encoding
  let bomBytes = 0
  if (startsWith(sample, [0xef, 0xbb, 0xbf])) [encoding, bomBytes] = ['utf-8', 3]
  else if (startsWith(sample, [0xff, 0xfe])) [encoding, bomBytes] = ['utf-16le', 2]
  else if (startsWith(sample, [0xfe, 0xff])) [encoding, bomBytes] = ['utf-16be', 2]
  else encoding = decodes(sample, 'utf-8') ? 'utf-8' : 'windows-1252'

  const text = new TextDecoder(encoding).decode(sample.subarray(bomBytes), { stream: true })
  if (text.includes('\u0000')) throw unsupported('This is not a text file')
  if (text.trim() === '') throw new UploadError(400, 'The file is empty')
  return { kind: 'csv', encoding, delimiter: delimiterOf(text), bomBytes }
}

function unsupported (what: string) {
  return new UploadError(415, `${what}. Upload a CSV file (comma, semicolon or tab separated) or an .xlsx workbook`)
}

function decodes (sample: Buffer, encoding: string): boolean {
  try {
    new TextDecoder(encoding, { fatal: true }).decode(sample, { stream: true })
    return true
  } catch {
    return false
  }
}

/** The separator the header line uses most, outside quotes; a comma when it has none. */
function delimiterOf (text: string): ',' | ';' | '\t' {
  const counts = { ',': 0, ';': 0, '\t': 0 }
  let quoted = false
  for (const char of text) {
    if (char === '"') quoted = !quoted
    else if (!quoted && (char === '\n' || char === '\r')) break
    else if (!quoted && char in counts) counts[char as keyof typeof counts]++
  }
  const [best] = (Object.entries(counts) as Array<[',' | ';' | '\t', number]>).sort((a, b) => b[1] - a[1])[0]!
  return counts[best] > 0 ? best : ','
}

/** What one file may hold and cost to read: exceeded, the whole file is refused (413) as soon as it is seen. */
export interface ReadLimits {
  /** Longest cell, in characters. */
  maxCellChars: number
  /** Most records read, blank ones and the header included. */
  maxRecords: number
  /** Most bytes an .xlsx workbook's entries may expand to when unzipped, together. */
  maxExpandedBytes: number
}

/**
 * The file's records in order, read as a stream: memory stays flat whatever the file's size, and every limit is
 * checked before the record that breaks it is built. Runs on the file reader's worker thread (`file-reader.ts`).
 */
export function parseRows (path: string, format: FileFormat, limits: ReadLimits): AsyncIterable<FileRow> {
  return format.kind === 'xlsx' ? xlsxRows(path, limits) : csvRows(path, format, limits)
}

function tooManyRecords (limits: ReadLimits) {
  return new UploadError(413,
    `The file has more than ${limits.maxRecords - 1} rows; split it into smaller files`)
}

function cellTooLong (row: number, limits: ReadLimits) {
  return new UploadError(413, `Row ${row} has a cell longer than ${limits.maxCellChars} characters, the most a cell may hold`)
}

const ENCODING_NAMES: Record<Encoding, string> = {
  'utf-8': 'UTF-8', 'utf-16le': 'UTF-16', 'utf-16be': 'UTF-16', 'windows-1252': 'Windows-1252'
}

/**
 * Decodes a CSV file's bytes and checks them on the way to the parser, keeping the parser's own count of records
 * (a newline inside quotes is part of its cell): a cell longer than the limit, a byte that is not valid in the
 * file's encoding (decoded as U+FFFD, which is refused too, never stored) stops the file at that row.
 */
class CsvGuard extends Transform {
  readonly #decoder: TextDecoder
  #row = 1
  #cell = 0
  #quoted = false
  #afterCR = false

  constructor (readonly format: Extract<FileFormat, { kind: 'csv' }>, readonly limits: ReadLimits) {
    super({ decodeStrings: true, readableObjectMode: false })
    this.#decoder = new TextDecoder(format.encoding)
  }

  override _transform (chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null, text?: string) => void) {
    const text = this.#decoder.decode(chunk, { stream: true })
    done(this.#check(text), text)
  }

  override _flush (done: (error?: Error | null, text?: string) => void) {
    const text = this.#decoder.decode()
    done(this.#check(text), text)
  }

  #check (text: string): UploadError | null {
    const delimiter = this.format.delimiter.charCodeAt(0)
    for (let i = 0; i < text.length; i++) {
      const char = text.charCodeAt(i)
      const afterCR = this.#afterCR
      this.#afterCR = false
      if (char === 0xfffd) {
        return new UploadError(422, `Row ${this.#row} is not valid ${ENCODING_NAMES[this.format.encoding]} text: ` +
          'save the whole file in one encoding (in Excel, "CSV UTF-8") and upload it again')
      }
      if (char === 0x22) this.#quoted = !this.#quoted
      else if (!this.#quoted && (char === 0x0a || char === 0x0d)) {
        if (!(char === 0x0a && afterCR)) this.#row++
        this.#afterCR = char === 0x0d
        this.#cell = 0
        continue
      } else if (!this.#quoted && char === delimiter) {
        this.#cell = 0
        continue
      }
      if (++this.#cell > this.limits.maxCellChars) return cellTooLong(this.#row, this.limits)
    }
    return null
  }
}

async function * csvRows (path: string, format: Extract<FileFormat, { kind: 'csv' }>, limits: ReadLimits): AsyncIterable<FileRow> {
  const file = createReadStream(path, { start: format.bomBytes })
  const parser = parse({ delimiter: format.delimiter, ignoreEmpty: false, trim: false })
  const guard = new CsvGuard(format, limits)
  // What stopped the parser from outside: the guard's refusal, or the disk's failure (not the file's fault: a 500).
  let stopped: Error | undefined
  const stop = (error: Error) => {
    stopped = error
    parser.destroy(error)
  }
  file.pipe(guard).pipe(parser)
  guard.on('error', stop)
  file.on('error', stop)
  let number = 0
  try {
    for await (const cells of parser as AsyncIterable<string[]>) {
      if (++number > limits.maxRecords) throw tooManyRecords(limits)
      yield { number, cells }
    }
  } catch (error) {
    if (stopped) throw stopped
    if (error instanceof UploadError) throw error
    throw new UploadError(400, `The file could not be read as CSV: ${(error as Error).message}`)
  } finally {
    file.destroy()
  }
}

async function * xlsxRows (path: string, limits: ReadLimits): AsyncIterable<FileRow> {
  // Loaded at the first workbook: it costs half a second, which a server that only ever sees CSV never pays.
  const { default: Excel } = await import('exceljs')
  const input = createReadStream(path)
  const reader = new Excel.stream.xlsx.WorkbookReader(input, {
    sharedStrings: 'cache',
    styles: 'cache', // a date is a number with a date style
    hyperlinks: 'ignore',
    worksheets: 'emit',
    entries: 'ignore'
  })
  const worksheets = reader[Symbol.asyncIterator]()
  let records = 0
  try {
    // Every entry is unzipped once, counted and scanned, before ExcelJS builds anything from it.
    await checkWorkbook(path, limits)
    // The first worksheet holds the customers; others (notes, pivots) are not read.
    const first = await worksheets.next()
    if (first.done) return
    for await (const row of first.value as AsyncIterable<ExcelJS.Row>) {
      if (++records > limits.maxRecords) throw tooManyRecords(limits)
      const values = row.values as ExcelJS.CellValue[]
      const cells = Array.from({ length: values.length - 1 }, (_, i) => cellText(values[i + 1]))
      if (cells.some((cell) => cell.length > limits.maxCellChars)) throw cellTooLong(row.number, limits)
      yield { number: row.number, cells }
    }
  } catch (error) {
    if (error instanceof UploadError) throw error
    throw unsupported(`The workbook could not be read (${(error as Error).message})`)
  } finally {
    input.destroy()
  }
}

/** A cell as the text a person sees in it. A formula is never evaluated: its last computed result is taken. */
function cellText (value: ExcelJS.CellValue): string {
  if (value == null) return ''
  if (value instanceof Date) return value.toISOString().replace(/T00:00:00\.000Z$/, '')
  if (typeof value !== 'object') return String(value)
  if ('richText' in value) return value.richText.map((part) => part.text).join('')
  if ('formula' in value || 'sharedFormula' in value) return cellText((value as ExcelJS.CellFormulaValue).result as ExcelJS.CellValue)
  return '' // an error value (#N/A, #DIV/0!) holds no data
}
