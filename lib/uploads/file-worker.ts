// The file reader's process: parses uploaded files (`parseRows`) away from the server's thread, which carries live
// calls' audio, and hands their records back in batches, a few batches ahead of what the server has taken.
import { parseRows, type FileFormat, type FileRow, type ReadLimits } from './spreadsheet.js'
import { UploadError } from './upload-error.js'

export type ToWorker =
  | { type: 'read', id: number, path: string, format: FileFormat, limits: ReadLimits }
  | { type: 'more' | 'cancel', id: number }

export type FromWorker =
  | { id: number, rows: FileRow[] }
  | { id: number, done: true }
  | { id: number, error: { statusCode?: number, message: string } }

/** Records a batch holds: enough to cross processes rarely, few enough to keep both processes busy. */
const BATCH = 500
/**
 * Batches the reader may have sent that the server has not yet taken: enough that neither waits on the other's
 * turn (with one, each batch cost a round trip), few enough that memory stays flat whatever the file's size.
 */
export const AHEAD = 4

/** Each job's state: how many more batches it may send, and whether the server stopped it. */
interface Job { credits: number, cancelled: boolean, wake: () => void }
const jobs = new Map<number, Job>()

// When the server lets go (or dies), the channel closes and this process ends once idle.
process.on('message', (message: ToWorker) => {
  if (message.type === 'read') return read(message) // never rejects: its errors are sent back
  const job = jobs.get(message.id)
  if (!job) return // the read has ended: the server took its last batch
  if (message.type === 'more') job.credits++
  else job.cancelled = true
  job.wake()
})

/** Waits until the job may send another batch; answers false once the server has stopped it. */
async function mayGoOn (job: Job): Promise<boolean> {
  while (!job.cancelled && job.credits === 0) await new Promise<void>((resolve) => { job.wake = resolve })
  return !job.cancelled
}

async function read ({ id, path, format, limits }: Extract<ToWorker, { type: 'read' }>) {
  const job: Job = { credits: AHEAD, cancelled: false, wake: () => {} }
  jobs.set(id, job)
  const send = (message: FromWorker) => process.send!(message)
  try {
    let rows: FileRow[] = []
    for await (const row of parseRows(path, format, limits)) {
      rows.push(row)
      if (rows.length < BATCH) continue
      send({ id, rows })
      rows = []
      job.credits--
      if (!await mayGoOn(job)) return
    }
    if (rows.length > 0) send({ id, rows })
    send({ id, done: true })
  } catch (error) {
    send({ id, error: { statusCode: error instanceof UploadError ? error.statusCode : undefined, message: (error as Error).message } })
  } finally {
    jobs.delete(id)
  }
}
