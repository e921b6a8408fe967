// The file reader's process: parses uploaded files (`parseRows`) away from the server's thread, which carries live
// calls' audio, and hands their records back in batches, one batch ahead of what the server has taken.
import { parseRows, type FileFormat, type FileRow, type ReadLimits } from './spreadsheet.js'
import { UploadError } from './upload-error.js'
import { Mailbox } from './mailbox.js'

export type ToWorker =
  | { type: 'read', id: number, path: string, format: FileFormat, limits: ReadLimits }
  | { type: 'more' | 'cancel', id: number }

export type FromWorker =
  | { id: number, rows: FileRow[] }
  | { id: number, done: true }
  | { id: number, error: { statusCode?: number, message: string } }

/** Records a batch holds: enough to cross processes rarely, few enough to keep both processes busy. */
const BATCH = 500

/** Each job's instructions from the main thread, one a batch: read on (true), or stop (false). */
const jobs = new Map<number, Mailbox<boolean>>()

// When the server lets go (or dies), the channel closes and this process ends once idle.
process.on('message', (message: ToWorker) => {
  if (message.type === 'read') read(message) // never rejects: its errors are sent back
  else jobs.get(message.id)?.push(message.type === 'more')
})

async function read ({ id, path, format, limits }: Extract<ToWorker, { type: 'read' }>) {
  const instructions = new Mailbox<boolean>()
  jobs.set(id, instructions)
  const send = (message: FromWorker) => process.send!(message)
  try {
    let rows: FileRow[] = []
    for await (const row of parseRows(path, format, limits)) {
      rows.push(row)
      if (rows.length < BATCH) continue
      send({ id, rows })
      rows = []
      if (!await instructions.next()) return
    }
    if (rows.length > 0) send({ id, rows })
    send({ id, done: true })
  } catch (error) {
    send({ id, error: { statusCode: error instanceof UploadError ? error.statusCode : undefined, message: (error as Error).message } })
  } finally {
    jobs.delete(id)
  }
}
