import type { Database, Queryable } from '../db/database.js'
import { customerFilter, type CustomerQuery } from '../customers/repository.js'
import { isTerminal, SKIP_IF_LIVE, type CallStatus } from './calls.js'
import { announce } from './events.js'

/** Who to call in a batch: these customer ids, or every customer matching a filter (all of them when empty). */
export type BatchSelection =
  | { customerIds: string[] }
  | { filter: Pick<CustomerQuery, 'search' | 'status'> }

export interface QueuedBatch {
  /** Undefined when nothing was queued: then no batch is kept. */
  batchId?: string
  /** Customers selected. */
  matched: number
  /** Calls queued: customers with a call already queued or in progress are skipped. */
  queued: number
}

/** Queues one call per selected customer, in one statement and one transaction, for the dispatcher to dial. */
export async function queueBatch (db: Database, createdBy: string, selection: BatchSelection): Promise<QueuedBatch> {
  return await db.transaction(async (tx) => {
    const params: unknown[] = [createdBy]
    const where = 'customerIds' in selection
      ? `WHERE id = ANY($${params.push(selection.customerIds)}::text[])`
      : customerFilter(selection.filter, params)
    const { rows } = await tx.query<QueuedBatch>(
      `WITH batch AS (INSERT INTO call_batch (created_by) VALUES ($1) RETURNING id),
       picked AS (SELECT id, name, phone, seq FROM customer ${where}),
       queued AS (
         INSERT INTO call (customer_id, customer_name, phone, triggered_by, batch_id, status)
         SELECT picked.id, picked.name, picked.phone, $1, batch.id, 'queued' FROM picked, batch ORDER BY picked.seq
         ${SKIP_IF_LIVE}
         RETURNING id, customer_id
       ),
       events AS (
         INSERT INTO call_event (call_id, status, source, dedupe_key) SELECT id, 'queued', 'api', 'queued' FROM queued
       ),
       touched AS (
         UPDATE customer SET last_call_status = 'queued', last_call_at = now() WHERE id IN (SELECT customer_id FROM queued)
       )
       SELECT (SELECT id FROM batch) AS "batchId", (SELECT count(*) FROM picked) AS matched,
         (SELECT count(*) FROM queued) AS queued`,
      params
    )
    const batch = rows[0]!
    if (batch.queued === 0) {
      await tx.query('DELETE FROM call_batch WHERE id = $1', [batch.batchId])
      return { matched: batch.matched, queued: 0 }
    }
    await tx.query('UPDATE call_batch SET total = $2 WHERE id = $1', [batch.batchId, batch.queued])
    await announce(tx, { type: 'batch', batch: { id: batch.batchId!, change: 'queued', calls: batch.queued } })
    return batch
  })
}

export interface BatchProgress {
  id: string
  created_by: string
  created_at: Date
  canceled_at: Date | null
  total: number
  /** running while any of its calls is queued or in flight; then finished, or canceled. */
  status: 'running' | 'finished' | 'canceled'
  /** Each customer's latest attempt, by status. */
  counts: Record<CallStatus, number>
  /** Calls made beyond the first attempt. */
  retries: number
}

export async function getBatch (db: Queryable, id: string): Promise<BatchProgress | undefined> {
  const { rows } = await db.query<Omit<BatchProgress, 'status' | 'counts' | 'retries'>>(
    'SELECT id, created_by, created_at, canceled_at, total FROM call_batch WHERE id = $1', [id]
  )
  if (!rows[0]) return undefined
  const { rows: latest } = await db.query<{ status: CallStatus, n: number }>(
    `SELECT status, count(*) AS n FROM (
       SELECT DISTINCT ON (customer_id) status FROM call WHERE batch_id = $1 ORDER BY customer_id, attempt DESC
     ) latest GROUP BY status`, [id]
  )
  const { rows: retried } = await db.query<{ n: number }>(
    'SELECT count(*) AS n FROM call WHERE batch_id = $1 AND attempt > 1', [id]
  )
  const counts = {
    queued: 0, initiated: 0, ringing: 0, 'in-progress': 0, completed: 0, busy: 0, 'no-answer': 0, failed: 0, canceled: 0
  }
  for (const row of latest) counts[row.status] = row.n
  const running = latest.some((row) => !isTerminal(row.status))
  return {
    ...rows[0],
    status: running ? 'running' : rows[0].canceled_at ? 'canceled' : 'finished',
    counts,
    retries: retried[0]!.n
  }
}

/** The latest batches, newest first, each with its progress. */
export async function listBatches (db: Queryable, limit: number, offset: number): Promise<{ batches: BatchProgress[], total: number }> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM call_batch ORDER BY created_at DESC, id LIMIT $1 OFFSET $2', [limit, offset])
  const { rows: counted } = await db.query<{ total: number }>('SELECT count(*) AS total FROM call_batch')
  const batches = await Promise.all(rows.map(async ({ id }) => (await getBatch(db, id))!))
  return { batches, total: counted[0]!.total }
}

/**
 * Stops a batch: its calls not yet claimed for dialling are canceled, and no retry is queued after. Calls already
 * dialling go on. Answers how many were canceled, or undefined for an unknown batch.
 */
export async function cancelBatch (db: Database, id: string): Promise<number | undefined> {
  return await db.transaction(async (tx) => {
    const { rowCount } = await tx.query(
      'UPDATE call_batch SET canceled_at = COALESCE(canceled_at, now()) WHERE id = $1', [id]
    )
    if (rowCount === 0) return undefined
    const { rows } = await tx.query<{ n: number }>(
      `WITH canceled AS (
         UPDATE call SET status = 'canceled', ended_at = now(), updated_at = now()
         WHERE batch_id = $1 AND status = 'queued' AND claimed_at IS NULL RETURNING id, customer_id
       ),
       events AS (
         INSERT INTO call_event (call_id, status, source, dedupe_key) SELECT id, 'canceled', 'api', 'canceled' FROM canceled
       ),
       touched AS (
         UPDATE customer SET last_call_status = 'canceled', last_call_at = now() WHERE id IN (SELECT customer_id FROM canceled)
       )
       SELECT count(*) AS n FROM canceled`, [id]
    )
    await announce(tx, { type: 'batch', batch: { id, change: 'canceled', calls: rows[0]!.n } })
    return rows[0]!.n
  })
}
