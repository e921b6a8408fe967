import { once } from 'node:events'
import { PassThrough, type Readable, type Writable } from 'node:stream'
import { format } from 'fast-csv'
import type { ExportTable } from './results.js'

/** Waits while `sink` holds more than it wants: the rows are read from the database no faster than they are sent. */
async function drained (sink: Writable): Promise<void> {
  if (sink.writableNeedDrain) await once(sink, 'drain')
}

/** Where a failure part-way is told: the file cannot change its status once begun, so it is cut short and logged. */
export interface ExportLog { error (detail: { err: unknown }, message: string): void }

/** The table as CSV (UTF-8 with a byte-order mark, which spreadsheets need to read Hindi and other scripts). */
export function csvStream (table: ExportTable, log: ExportLog): Readable {
  const csv = format({ headers: table.columns, alwaysWriteHeaders: true, writeBOM: true })
  ;(async () => {
    for await (const page of table.rows) {
      for (const row of page) csv.write(row)
      await drained(csv)
    }
    csv.end()
  })().catch((error: Error) => {
    log.error({ err: error }, 'export failed part-way')
    csv.destroy(error)
  })
  return csv
}

/** The table as an .xlsx workbook of one sheet, written as a stream (exceljs's streaming writer). */
export function xlsxStream (table: ExportTable, log: ExportLog): Readable {
  const out = new PassThrough()
  ;(async () => {
    const { default: Excel } = await import('exceljs')
    const workbook = new Excel.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: false, useStyles: false })
    const sheet = workbook.addWorksheet('Results')
    sheet.addRow(table.columns).commit()
    for await (const page of table.rows) {
      for (const row of page) sheet.addRow(row).commit()
      await drained(out)
    }
    sheet.commit()
    await workbook.commit()
  })().catch((error: Error) => {
    log.error({ err: error }, 'export failed part-way')
    out.destroy(error)
  })
  return out
}
