import type { Static } from '@sinclair/typebox'
import type { Batch as BatchSchema, PlannedCall as PlannedCallSchema } from '../../schemas/calls.js'
import type { Database, Queryable } from '../db/database.js'
import { customerFilter, type CustomerFilter } from '../customers/repository.js'
import { isTerminal, LIVE, SKIP_IF_LIVE, type CallStatus, type PinnedAssistant } from './calls.js'
import { nextOpening, type CallingWindow } from '../calling-rules/calling-window.js'
import { announce } from './events.js'
import { blockedReason, type AttemptCap, type SkipReason } from '../calling-rules/rules.js'

/** Who to call in a batch: these customer ids, or every customer matching a filter (all of them when empty). */
export type BatchSelection =
  | { customerIds: string[] }
  | { filter: CustomerFilter }

/** When a batch's calls may be dialled: from `startAt` (default now), inside `window`, until `endAt` (if given). */
export interface BatchSchedule {
  startAt?: Date
  endAt?: Date
  window: CallingWindow
}

export interface BatchOptions {
  schedule: BatchSchedule
  attemptCap?: AttemptCap
  /** The assistant version every call of the batch (retries too) talks with. */
  assistant?: PinnedAssistant
}

/** A schedule that cannot be kept. */
export class ScheduleError extends Error {
  readonly statusCode = 400
}

/** The first moment a batch's calls may be dialled; throws ScheduleError when the window never opens in time. */
export function firstDial (schedule: BatchSchedule, now = new Date()): Date {
  const from = schedule.startAt && schedule.startAt > now ? schedule.startAt : now
  if (schedule.endAt && schedule.endAt <= from) throw new ScheduleError('end_at must be after start_at and after now')
  const opening = nextOpening(schedule.window, from)
  if (schedule.endAt && opening >= schedule.endAt) {
    throw new ScheduleError(`The calling window does not open before end_at (it opens at ${opening.toISOString()})`)
  }
  return opening
}

/** Each selected customer, and why it would be skipped (null: dialled). */
function pickedSql (selection: BatchSelection, attemptCap: AttemptCap | undefined, params: unknown[]): string {
  const where = 'customerIds' in selection
    ? `WHERE id = ANY($${params.push(selection.customerIds)}::text[])`
    : customerFilter(selection.filter, params)
  return `SELECT customer.id, customer.name, customer.phone, customer.seq,
      CASE WHEN EXISTS (SELECT 1 FROM call live WHERE live.customer_id = customer.id AND ${LIVE}) THEN 'in-progress'
      ELSE ${blockedReason('customer.id', 'customer.phone', attemptCap, params)} END AS skip_reason
    FROM customer ${where}`
}

/** What a dry run says of one customer. */
export type PlannedCall = Static<typeof PlannedCallSchema>

export interface BatchPlan {
  /** When the first calls would be dialled (the calling window's first opening from the start). */
  firstDialAt: Date
  calls: PlannedCall[]
  /** Customers that would be skipped, by why. */
  skipped: Partial<Record<SkipReason, number>>
}

/** What queueBatch would do, customer by customer, without doing it (a dry run). */
export async function planBatch (db: Queryable, selection: BatchSelection, options: BatchOptions): Promise<BatchPlan> {
  const firstDialAt = firstDial(options.schedule)
  const params: unknown[] = []
  const { rows } = await db.query<{ id: string, skip_reason: SkipReason | null }>(
    `SELECT id, skip_reason FROM (${pickedSql(selection, options.attemptCap, params)}) picked ORDER BY seq`, params
  )
  const calls: PlannedCall[] = rows.map((row) => ({
    customer_id: row.id, action: row.skip_reason ? 'skip' : 'dial', reason: row.skip_reason
  }))
  if ('customerIds' in selection) {
    const found = new Set(rows.map((row) => row.id))
    for (const id of new Set(selection.customerIds)) {
      if (!found.has(id)) calls.push({ customer_id: id, action: 'skip', reason: 'not-found' })
    }
  }
  const skipped: BatchPlan['skipped'] = {}
  for (const { reason } of calls) if (reason) skipped[reason] = (skipped[reason] ?? 0) + 1
  return { firstDialAt, calls, skipped }
}

export interface QueuedBatch {
  /** Undefined when nothing was queued: then no batch is kept. */
  batchId?: string
  /** Customers selected. */
  matched: number
  /** Calls queued. */
  queued: number
  /** Customers selected and not queued, by why: in-progress, suppressed, attempt-cap, not-found. */
  skipped: Partial<Record<SkipReason, number>>
  /** When the first calls may be dialled. */
  firstDialAt: Date
}

/**
 * One statement that queues a batch: the batch row, a queued call per picked customer without a live call, a
 * canceled call (with its reason) per suppressed or capped one, their timeline entries, and the customers' last
 * status; it answers the counts. $1 is who queued it, $2-$4 the schedule, $5 the first dial, $6-$7 the
 * assistant and its version.
 */
function queueSql (picked: string): string {
  return `WITH batch AS (
     INSERT INTO call_batch (created_by, start_at, end_at, calling_window, assistant_id, assistant_version)
     VALUES ($1, $2, $3, $4, $6, $7) RETURNING id
   ),
   picked AS (${picked}),
   queued AS (
     INSERT INTO call (customer_id, customer_name, phone, triggered_by, batch_id, status, not_before, assistant_id, assistant_version)
     SELECT picked.id, picked.name, picked.phone, $1, batch.id, 'queued', $5, $6, $7 FROM picked, batch
     WHERE picked.skip_reason IS NULL ORDER BY picked.seq
     ${SKIP_IF_LIVE}
     RETURNING id, customer_id
   ),
   skipped AS (
     INSERT INTO call (customer_id, customer_name, phone, triggered_by, batch_id, status, skip_reason, ended_at, assistant_id, assistant_version)
     SELECT picked.id, picked.name, picked.phone, $1, batch.id, 'canceled', picked.skip_reason, now(), $6, $7 FROM picked, batch
     WHERE picked.skip_reason IN ('suppressed', 'attempt-cap') ORDER BY picked.seq
     RETURNING id, skip_reason
   ),
   events AS (
     INSERT INTO call_event (call_id, status, source, dedupe_key, detail)
     SELECT id, 'queued', 'api', 'queued', '{}'::jsonb FROM queued
     UNION ALL SELECT id, 'canceled', 'api', 'skipped', jsonb_build_object('reason', skip_reason) FROM skipped
   ),
   touched AS (
     UPDATE customer SET last_call_status = 'queued', last_call_at = now() WHERE id IN (SELECT customer_id FROM queued)
   )
   SELECT (SELECT id FROM batch) AS "batchId", (SELECT count(*) FROM picked)::int AS matched,
     (SELECT count(*) FROM queued)::int AS queued,
     (SELECT count(*) FROM skipped WHERE skip_reason = 'suppressed')::int AS suppressed,
     (SELECT count(*) FROM skipped WHERE skip_reason = 'attempt-cap')::int AS capped`
}

/** The counts above zero. */
function nonZero (counts: Partial<Record<SkipReason, number>>): QueuedBatch['skipped'] {
  return Object.fromEntries(Object.entries(counts).filter(([, count]) => count! > 0))
}

/**
 * Queues one call per selected customer, in one statement and one transaction, for the dispatcher to dial from
 * the schedule's first opening. Customers with a live call are left out; suppressed and capped ones get a call
 * that is canceled at once with its reason, so that the batch's analytics show why they were not called.
 */
export async function queueBatch (db: Database, createdBy: string, selection: BatchSelection, options: BatchOptions):
Promise<QueuedBatch> {
  const { schedule } = options
  const firstDialAt = firstDial(schedule)
  return await db.transaction(async (tx) => {
    const params: unknown[] = [createdBy, schedule.startAt ?? null, schedule.endAt ?? null, schedule.window, firstDialAt,
      options.assistant?.id ?? null, options.assistant?.version ?? null]
    const { rows } = await tx.query<{ batchId: string, matched: number, queued: number, suppressed: number, capped: number }>(
      queueSql(pickedSql(selection, options.attemptCap, params)),
      params
    )
    const { batchId, matched, queued, suppressed, capped } = rows[0]!
    const notFound = 'customerIds' in selection ? new Set(selection.customerIds).size - matched : 0
    const skipped = nonZero({ 'in-progress': matched - queued - suppressed - capped, suppressed, 'attempt-cap': capped, 'not-found': notFound })
    if (queued === 0) {
      await tx.query('DELETE FROM call WHERE batch_id = $1', [batchId])
      await tx.query('DELETE FROM call_batch WHERE id = $1', [batchId])
      return { matched, queued: 0, skipped, firstDialAt }
    }
    await tx.query('UPDATE call_batch SET total = $2 WHERE id = $1', [batchId, queued])
    await announce(tx, { type: 'batch', batch: { id: batchId, change: 'queued', calls: queued } })
    return { batchId, matched, queued, skipped, firstDialAt }
  })
}

/** A batch with its progress, as the API answers it (schemas/calls.ts). */
export type BatchProgress = Static<typeof BatchSchema>

export async function getBatch (db: Queryable, id: string): Promise<BatchProgress | undefined> {
  return (await batchesWhere(db, 'id = $1', [id]))[0]
}

/** The latest batches, newest first, each with its progress. */
export async function listBatches (db: Queryable, limit: number, offset: number): Promise<{ batches: BatchProgress[], total: number }> {
  const batches = await batchesWhere(db, 'true ORDER BY created_at DESC, id LIMIT $1 OFFSET $2', [limit, offset])
  const { rows: counted } = await db.query<{ total: number }>('SELECT count(*)::int AS total FROM call_batch')
  return { batches, total: counted[0]!.total }
}

/** Batches with their progress, in two queries whatever their number: the rows, then their calls grouped. */
async function batchesWhere (db: Queryable, where: string, params: unknown[]): Promise<BatchProgress[]> {
  const { rows } = await db.query<Omit<BatchProgress, 'status' | 'counts' | 'retries' | 'next_dial_at'>>(
    `SELECT id, created_by, created_at, canceled_at, total, start_at, end_at, calling_window FROM call_batch WHERE ${where}`, params
  )
  if (rows.length === 0) return []
  // Each customer's latest attempt by status, and the attempts beyond the first, per batch.
  const { rows: latest } = await db.query<{ batch_id: string, status: CallStatus, n: number, retries: number, next: Date | null }>(
    `SELECT batch_id, status, count(*)::int AS n, sum(attempt - 1)::int AS retries,
       min(not_before) FILTER (WHERE claimed_at IS NULL AND status = 'queued') AS next FROM (
       SELECT DISTINCT ON (batch_id, customer_id) batch_id, status, attempt, not_before, claimed_at FROM call
       WHERE batch_id = ANY($1::uuid[]) ORDER BY batch_id, customer_id, attempt DESC
     ) latest GROUP BY batch_id, status`, [rows.map((row) => row.id)]
  )
  return rows.map((row) => {
    const counts = {
      queued: 0, initiated: 0, ringing: 0, 'in-progress': 0, completed: 0, busy: 0, 'no-answer': 0, failed: 0, canceled: 0
    }
    const groups = latest.filter((group) => group.batch_id === row.id)
    for (const group of groups) counts[group.status] = group.n
    const retries = groups.reduce((sum, group) => sum + group.retries, 0)
    const running = groups.some((group) => !isTerminal(group.status))
    const nextDialAt = groups.find((group) => group.status === 'queued')?.next ?? null
    return { ...row, status: running ? 'running' : row.canceled_at ? 'canceled' : 'finished', counts, retries, next_dial_at: nextDialAt }
  })
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
    const canceled = await cancelWaiting(tx, id, { reason: 'canceled', source: 'api', dedupeKey: 'canceled', detail: {} })
    await announce(tx, { type: 'batch', batch: { id, change: 'canceled', calls: canceled } })
    return canceled
  })
}

/**
 * Cancels a batch's calls that wait to be dialled (and those in `claimedNow`, claimed by the caller's own round),
 * each with its skip reason and a timeline event; answers how many. A call claimed by another round is being
 * dialled, and goes on.
 */
export async function cancelWaiting (tx: Queryable, batchId: string,
  skip: { reason: SkipReason, source: string, dedupeKey: string, detail: Record<string, unknown> }, claimedNow: string[] = []):
  Promise<number> {
  const { rows } = await tx.query<{ n: number }>(
    `WITH canceled AS (
       UPDATE call SET status = 'canceled', skip_reason = $3, ended_at = now(), updated_at = now(), claimed_at = NULL
       WHERE batch_id = $1 AND status = 'queued' AND (claimed_at IS NULL OR id = ANY($2::uuid[])) RETURNING id, customer_id
     ),
     events AS (
       INSERT INTO call_event (call_id, status, source, dedupe_key, detail)
       SELECT id, 'canceled', $4, $5, $6::jsonb FROM canceled
     ),
     touched AS (
       UPDATE customer SET last_call_status = 'canceled', last_call_at = now() WHERE id IN (SELECT customer_id FROM canceled)
     )
     SELECT count(*)::int AS n FROM canceled`,
    [batchId, claimedNow, skip.reason, skip.source, skip.dedupeKey, JSON.stringify(skip.detail)]
  )
  return rows[0]!.n
}
