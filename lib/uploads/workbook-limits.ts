import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createRequire } from 'node:module'
import type { Readable, Transform } from 'node:stream'
import { type ReadLimits } from './spreadsheet.js'
import { UploadError } from './upload-error.js'

/** One entry of a ZIP as unzipper streams it: its name, and its bytes once unzipped. */
interface ZipEntry extends Readable { path: string }

// The ZIP reader ExcelJS streams workbooks with, so that this check and ExcelJS see the same entries.
const { Parse } = createRequire(import.meta.url)('unzipper') as { Parse: (options: { forceStream: true }) => Transform }

/** No real customer workbook expands more than this many times its size; blank-row and zip bombs do. */
export const MAX_RATIO = 100
/** Below this, a workbook may expand by any ratio (a tiny file of styles and empty sheets compresses very well). */
const RATIO_FLOOR = 10 * 1024 * 1024
/** The XML parts ExcelJS parses, whose text and tags are scanned for over-long runs. */
const PARSED = /^(xl\/(worksheets\/sheet\d+\.xml|sharedStrings\.xml|styles\.xml|workbook\.xml|_rels\/workbook\.xml\.rels))$/

const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024 * 10) / 10} MB`

/**
 * Unzips every entry of a workbook once, keeping nothing, and refuses it (413) as soon as it expands past the
 * limits: in total, per entry (the shared-strings table, any part that is not a sheet), or more than MAX_RATIO
 * times the file's size; or when a parsed part holds a run of text or a tag longer than a cell may be (6 bytes
 * a character: the longest a character takes in UTF-8 or as an XML escape). ExcelJS then reads what was checked.
 */
export async function checkWorkbook (path: string, limits: ReadLimits): Promise<void> {
  const fileBytes = (await stat(path)).size
  const maxRun = limits.maxCellChars * 6 + 1024
  const input = createReadStream(path)
  const zip = input.pipe(Parse({ forceStream: true }))
  input.on('error', (error) => zip.destroy(error))
  let total = 0
  try {
    for await (const entry of zip as AsyncIterable<ZipEntry>) {
      const name = entry.path
      const sheet = /^xl\/worksheets\/sheet\d+\.xml$/.test(name)
      // The shared-strings table is held in memory while the sheet is read: half the total (64 MB by default).
      // Styles, themes, pictures: no other part of a customer file needs more than an eighth (16 MB).
      const entryLimit = sheet
        ? Infinity
        : name === 'xl/sharedStrings.xml' ? limits.maxExpandedBytes / 2 : limits.maxExpandedBytes / 8
      const scanned = PARSED.test(name)
      let size = 0
      let run = 0
      let inTag = false
      for await (const chunk of entry as AsyncIterable<Buffer>) {
        size += chunk.length
        total += chunk.length
        if (total > limits.maxExpandedBytes) {
          throw new UploadError(413, `The workbook expands to more than ${mb(limits.maxExpandedBytes)} when unzipped, ` +
            'the most a customer file may: save it as CSV, or split it')
        }
        if (total > RATIO_FLOOR && total > fileBytes * MAX_RATIO) {
          throw new UploadError(413, `The workbook expands to more than ${MAX_RATIO} times its size when unzipped, ` +
            'as no customer file does (blank rows by the million?): save it as CSV, or copy the rows to a new workbook')
        }
        if (size > entryLimit) {
          throw new UploadError(413, `The workbook's part ${name} expands to more than ${mb(entryLimit)} when unzipped, ` +
            'the most it may: save the workbook as CSV')
        }
        if (!scanned) continue
        // Runs between markup: the text of a cell, or a tag with its attributes.
        for (let at = 0; at < chunk.length;) {
          const next = chunk.indexOf(inTag ? 0x3e : 0x3c, at)
          run += (next === -1 ? chunk.length : next) - at
          if (run > maxRun) {
            throw new UploadError(413, `The workbook has a cell longer than ${limits.maxCellChars} characters, the most a cell may hold`)
          }
          if (next === -1) break
          inTag = !inTag
          run = 0
          at = next + 1
        }
      }
    }
  } finally {
    input.destroy()
    zip.destroy()
  }
}
