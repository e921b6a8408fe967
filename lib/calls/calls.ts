import type { Static } from '@sinclair/typebox'
import type { CALL_STATUSES, Call as CallSchema, CallEvent as CallEventSchema } from '../../schemas/calls.js'
import type { Database, Queryable } from '../db/database.js'
import { getConversation, type Conversation } from './conversation.js'
import { callMayBeDone } from './completion.js'
import { announce, callEvent } from './events.js'
import type { SkipReason } from '../calling-rules/rules.js'
import { decideNext, type CampaignRules, type EndedCall } from '../campaigns/rules.js'

export type CallStatus = (typeof CALL_STATUSES)[number]

/** A status only moves forward: a late or repeated report never takes a call back. Terminal ones share a rank. */
const RANK: Record<CallStatus, number> = {
  queued: 0, initiated: 1, ringing: 2, 'in-progress': 3, completed: 4, busy: 4, 'no-answer': 4, failed: 4, canceled: 4
}
/** Whether a status (ours, or Exotel's word for one) is final. */
export const isTerminal = (status: string): status is CallStatus => RANK[status as CallStatus] === 4

/**
 * Skips the insert of a call for a customer who has a live one: the predicate of the index
 * call_one_live_per_customer (migration 003), which an ON CONFLICT clause must repeat to name it.
 */
export const LIVE = "status IN ('queued', 'initiated', 'ringing', 'in-progress')"
export const SKIP_IF_LIVE = `ON CONFLICT (customer_id) WHERE ${LIVE} DO NOTHING`

/** A call, as stored and as the API answers it (schemas/calls.ts). */
export type Call = Static<typeof CallSchema>

/** An entry on a call's timeline. */
export type CallEvent = Static<typeof CallEventSchema>

export const COLUMNS = `id, customer_id, customer_name, phone, batch_id, attempt, status, triggered_by, exotel_sid, caller_id, error,
  answered_by, duration_seconds, recording_url, created_at, dialled_at, answered_at, ended_at, updated_at, not_before,
  skip_reason, assistant_id, assistant_version`

/** An assistant at one version: what a call talks with. */
export interface PinnedAssistant { id: string, version: number }

/** The customer already has a call queued or going on. */
export class CallInProgressError extends Error {
  readonly statusCode = 409
  constructor () {
    super('This customer already has a call queued or in progress')
  }
}

export interface NewCall {
  customerId: string
  customerName: string | null
  phone: string
  triggeredBy: string
  batchId?: string
  attempt?: number
  /** Dialled at once by its creator (a single call), so never by the dispatcher. */
  claimed?: boolean
  assistant?: PinnedAssistant
}

/** Records a call about to be dialled (status `queued`); refused while the customer has another live call. */
export async function createCall (db: Database, call: NewCall): Promise<Call> {
  try {
    return await db.transaction(async (tx) => {
      const { rows } = await tx.query<Call>(
        `INSERT INTO call (customer_id, customer_name, phone, triggered_by, batch_id, attempt, status, claimed_at,
           assistant_id, assistant_version)
         VALUES ($1, $2, $3, $4, $5, $6, 'queued', CASE WHEN $7 THEN clock_timestamp() END, $8, $9) RETURNING ${COLUMNS}`,
        [call.customerId, call.customerName, call.phone, call.triggeredBy, call.batchId ?? null, call.attempt ?? 1,
          call.claimed ?? false, call.assistant?.id ?? null, call.assistant?.version ?? null]
      )
      const created = rows[0]!
      await addEvent(tx, created.id, 'queued', 'api', 'queued', {})
      await touchCustomer(tx, created.customer_id, 'queued')
      await announce(tx, callEvent(created))
      return created
    })
  } catch (error) {
    if ((error as { code?: string }).code === '23505') throw new CallInProgressError()
    throw error
  }
}

export interface StatusReport {
  status: CallStatus
  /** Where the report came from: `api`, `exotel-callback`, `passthru`, ... */
  source: string
  /** Reports with the same key are one report (Exotel repeats callbacks). */
  dedupeKey: string
  /** When it happened, if earlier than it is written (the media stream's entries are written behind its audio). */
  at?: Date
  detail?: Record<string, unknown>
  exotelSid?: string
  error?: string
  answeredBy?: string
  durationSeconds?: number
  recordingUrl?: string
  /** Why a call canceled before it was dialled was skipped. */
  skipReason?: SkipReason
}

/**
 * A call by our id, or by Exotel's Sid. Exotel may report a call before its dial's answer is recorded (a busy
 * number's callback can beat it): then `customField` (our id, which we gave Exotel as CustomField) finds the call,
 * provided it has no Sid yet, and the report records the Sid.
 */
export type Locator = { id: string } | { exotelSid: string, customField?: string }

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

async function lockCall (tx: Queryable, where: Locator): Promise<Call | undefined> {
  if ('id' in where) return (await tx.query<Call>(`SELECT ${COLUMNS} FROM call WHERE id = $1 FOR UPDATE`, [where.id])).rows[0]
  const { rows } = await tx.query<Call>(`SELECT ${COLUMNS} FROM call WHERE exotel_sid = $1 FOR UPDATE`, [where.exotelSid])
  if (rows[0] || !where.customField || !UUID.test(where.customField)) return rows[0]
  // Or the Sid is being recorded as we look: the lock waits for it, and then the call has this Sid.
  return (await tx.query<Call>(`SELECT ${COLUMNS} FROM call WHERE id = $1 AND (exotel_sid IS NULL OR exotel_sid = $2) FOR UPDATE`,
    [where.customField, where.exotelSid])).rows[0]
}

/**
 * Applies a report to a call: recorded in its timeline once, and moving its status only forward. Answers the
 * call as it now is (undefined when no call matches) and whether its status changed.
 */
export async function applyReport (db: Database, where: Locator, report: StatusReport):
Promise<{ call: Call, changed: boolean } | undefined> {
  return await db.transaction(async (tx) => {
    const call = await lockCall(tx, where)
    if (!call) return undefined
    if (!await addEvent(tx, call.id, report.status, report.source, report.dedupeKey, report.detail ?? {}, report.at)) {
      return { call, changed: false }
    }
    const forward = RANK[report.status] > RANK[call.status]
    const { rows: updated } = await tx.query<Call>(
      `UPDATE call SET
         status = CASE WHEN $2 THEN $3 ELSE status END,
         exotel_sid = COALESCE(exotel_sid, $4),
         error = COALESCE($5, error),
         -- Exotel's human or machine stands; its notsure does not undo what the call's audio told.
         answered_by = CASE WHEN $6 = 'notsure' AND answered_by IS NOT NULL THEN answered_by ELSE COALESCE($6, answered_by) END,
         duration_seconds = COALESCE($7, duration_seconds),
         recording_url = COALESCE($8, recording_url),
         skip_reason = CASE WHEN $2 THEN COALESCE($10, skip_reason) ELSE skip_reason END,
         -- A call skipped at its dial gives back its claim, which would count against the rate.
         claimed_at = CASE WHEN $2 AND $10 IS NOT NULL THEN NULL ELSE claimed_at END,
         -- Even when the call's end came first (Exotel's callback before the dial's answer was recorded).
         dialled_at = CASE WHEN $3 = 'initiated' THEN COALESCE(dialled_at, now()) ELSE dialled_at END,
         answered_at = CASE WHEN $2 AND $3 = 'in-progress' THEN now() ELSE answered_at END,
         ended_at = CASE WHEN $2 AND $9 THEN now() ELSE ended_at END,
         updated_at = now()
       WHERE id = $1 RETURNING ${COLUMNS}`,
      [call.id, forward, report.status, report.exotelSid ?? ('exotelSid' in where ? where.exotelSid : null), report.error ?? null, report.answeredBy ?? null,
        report.durationSeconds ?? null, report.recordingUrl ?? null, isTerminal(report.status), report.skipReason ?? null]
    )
    if (forward) {
      await touchCustomer(tx, call.customer_id, report.status)
      await announce(tx, callEvent(updated[0]!))
    }
    if (forward && isTerminal(report.status)) {
      if (call.batch_id) await queueNext(tx, updated[0]!)
      await callMayBeDone(tx, call.id, new Date())
    }
    return { call: updated[0]!, changed: forward }
  })
}

/** Statuses a call has reached once answered: an `in-progress` report to one of them only adds to its timeline. */
const ANSWERED_OR_OVER = (Object.keys(RANK) as CallStatus[]).filter((status) => RANK[status] >= RANK['in-progress'])

/**
 * An `in-progress` report (what a live stream records: its start, keys, marks, who answered) added to the timeline
 * of a call already answered or over, in one statement instead of applyReport's locked read and writes: it moves
 * nothing on. Answers false, having written nothing, when the call is not answered yet (or is not there): then
 * applyReport, which moves its status on.
 */
export async function addTimelineEntry (db: Queryable, callId: string, report: StatusReport & { status: 'in-progress' }): Promise<boolean> {
  const { rows } = await db.query<{ found: boolean }>(
    `WITH target AS (SELECT id FROM call WHERE id = $1 AND status = ANY($2::text[])),
     added AS (
       INSERT INTO call_event (call_id, status, source, dedupe_key, detail, created_at)
       SELECT id, 'in-progress', $3, $4, $5, coalesce($6, now()) FROM target
       ON CONFLICT (call_id, dedupe_key) DO NOTHING RETURNING call_id
     ),
     touched AS (UPDATE call SET updated_at = now() WHERE id IN (SELECT call_id FROM added))
     SELECT EXISTS (SELECT 1 FROM target) AS found`,
    [callId, ANSWERED_OR_OVER, report.source, report.dedupeKey, JSON.stringify(report.detail ?? {}), report.at ?? null]
  )
  return rows[0]!.found
}

/**
 * A campaign's call has ended, or its outcome came after it ended (`followUpOutcome`): the customer's next
 * attempt is queued as the campaign's rules say (lib/campaigns/rules.ts), unless the campaign was canceled or the
 * customer has another live call; the ended call's timeline says what comes next. Decided once a call.
 */
async function queueNext (tx: Queryable, call: Call): Promise<void> {
  const { rows } = await tx.query<{
    rules: CampaignRules,
    outcome: string | null,
    outcome_detail: Record<string, unknown> | null,
    outcomes: Array<{ name: string, final?: boolean, follow_up?: boolean }> | null,
    retries: number,
    follow_ups: number
  }>(
    `SELECT campaign.rules, conversation.outcome, conversation.outcome_detail, version.config -> 'outcomes' AS outcomes,
       (SELECT count(*) FILTER (WHERE follows = 'retry') FROM call earlier
        WHERE earlier.batch_id = $2 AND earlier.customer_id = $3)::int AS retries,
       (SELECT count(*) FILTER (WHERE follows = 'follow-up') FROM call earlier
        WHERE earlier.batch_id = $2 AND earlier.customer_id = $3)::int AS follow_ups
     FROM campaign
     LEFT JOIN call_conversation conversation ON conversation.call_id = $1
     LEFT JOIN assistant_version version ON version.assistant_id = $4 AND version.version = $5
     WHERE campaign.id = $2 AND campaign.canceled_at IS NULL`,
    [call.id, call.batch_id, call.customer_id, call.assistant_id, call.assistant_version]
  )
  const found = rows[0]
  if (!found) return // canceled
  const now = new Date()
  const decided = decideNext(found.rules, {
    status: call.status as EndedCall['status'],
    outcome: found.outcome,
    answeredBy: call.answered_by,
    outcomeDetail: found.outcome_detail,
    outcomeFlags: found.outcomes?.find((outcome) => outcome.name === found.outcome),
    retries: found.retries,
    followUps: found.follow_ups
  }, now)
  if (decided.next !== 'retry' && decided.next !== 'follow-up') return
  // The ended call's timeline says once what comes next; a second decision (a late outcome) finds it there.
  const { next, at, because } = decided
  const [n, of] = next === 'retry' ? [decided.retry, decided.of] : [decided.followUp, decided.of]
  const detail = { next, because, n, of, at: at.toISOString(), ...next === 'follow-up' ? { asked: decided.asked } : {} }
  if (!await addEvent(tx, call.id, call.status, 'campaign', 'next-attempt', detail)) return
  const { rows: queued } = await tx.query<{ id: string }>(
    `INSERT INTO call (customer_id, customer_name, phone, triggered_by, batch_id, attempt, status, not_before,
       assistant_id, assistant_version, follows)
     VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $8::uuid, $9::int, $10)
     ${SKIP_IF_LIVE}
     RETURNING id`,
    [call.customer_id, call.customer_name, call.phone, call.triggered_by, call.batch_id, call.attempt + 1, at,
      call.assistant_id, call.assistant_version, next]
  )
  if (queued[0]) await addEvent(tx, queued[0].id, 'queued', next, 'queued', { previous_call: call.id, because })
}

/**
 * An outcome recorded after its call ended (the status callback came first): the next attempt it asks for is
 * queued now, as it would have been at the call's end.
 */
export async function followUpOutcome (db: Database, callId: string): Promise<void> {
  await db.transaction(async (tx) => {
    const { rows } = await tx.query<Call>(`SELECT ${COLUMNS} FROM call WHERE id = $1 FOR UPDATE`, [callId])
    const call = rows[0]
    if (call?.batch_id && isTerminal(call.status)) await queueNext(tx, call)
  })
}

async function addEvent (tx: Queryable, callId: string, status: CallStatus, source: string, dedupeKey: string,
  detail: Record<string, unknown>, at?: Date): Promise<boolean> {
  const { rowCount } = await tx.query(
    `INSERT INTO call_event (call_id, status, source, dedupe_key, detail, created_at) VALUES ($1, $2, $3, $4, $5, coalesce($6, now()))
     ON CONFLICT (call_id, dedupe_key) DO NOTHING`,
    [callId, status, source, dedupeKey, JSON.stringify(detail), at ?? null]
  )
  return rowCount > 0
}

async function touchCustomer (tx: Queryable, customerId: string, status: CallStatus) {
  await tx.query('UPDATE customer SET last_call_status = $2, last_call_at = now() WHERE id = $1', [customerId, status])
}

export interface CallQuery {
  limit: number
  offset: number
  status?: CallStatus
  customerId?: string
  batchId?: string
  /** Outcomes of the call's conversation; `none` matches calls with none recorded. */
  outcomes?: string[]
}

/** Calls, newest first, filtered, each with its conversation's outcome; `total` counts every match. */
export async function listCalls (db: Queryable, query: CallQuery): Promise<{ calls: Array<Call & { outcome: string | null }>, total: number }> {
  const where: string[] = []
  const params: unknown[] = []
  if (query.status) where.push(`status = $${params.push(query.status)}`)
  if (query.customerId) where.push(`customer_id = $${params.push(query.customerId)}`)
  if (query.batchId) where.push(`batch_id = $${params.push(query.batchId)}`)
  if (query.outcomes && query.outcomes.length > 0) {
    const outcome = '(SELECT outcome FROM call_conversation WHERE call_id = call.id)'
    const named = query.outcomes.filter((name) => name !== 'none')
    const either = [
      ...named.length > 0 ? [`${outcome} = ANY($${params.push(named)}::text[])`] : [],
      ...query.outcomes.includes('none') ? [`${outcome} IS NULL`] : []
    ]
    where.push(`(${either.join(' OR ')})`)
  }
  const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''
  const { rows: counted } = await db.query<{ total: number }>(`SELECT count(*) AS total FROM call ${filter}`, params)
  const { rows } = await db.query<Call & { outcome: string | null }>(
    `SELECT ${COLUMNS}, (SELECT outcome FROM call_conversation WHERE call_id = call.id) AS outcome
     FROM call ${filter} ORDER BY created_at DESC, id
     LIMIT $${params.push(query.limit)} OFFSET $${params.push(query.offset)}`, params
  )
  return { calls: rows, total: counted[0]!.total }
}

/** Our call, found by its id or by Exotel's Call Sid: its id and status, or undefined when it is not ours. */
export async function findCall (db: Queryable, where: Locator): Promise<{ id: string, status: CallStatus } | undefined> {
  if ('id' in where && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(where.id)) return undefined
  const [column, value] = 'id' in where ? ['id', where.id] : ['exotel_sid', where.exotelSid]
  const { rows } = await db.query<{ id: string, status: CallStatus }>(`SELECT id, status FROM call WHERE ${column} = $1`, [value])
  return rows[0]
}

/** One call with its timeline (oldest event first) and its live conversation, if it had one. */
export async function getCall (db: Queryable, id: string):
Promise<(Call & { events: CallEvent[], conversation: Conversation | null }) | undefined> {
  const { rows } = await db.query<Call>(`SELECT ${COLUMNS} FROM call WHERE id = $1`, [id])
  if (!rows[0]) return undefined
  const { rows: events } = await db.query<CallEvent>(
    'SELECT status, source, detail, created_at FROM call_event WHERE call_id = $1 ORDER BY created_at, id', [id]
  )
  return { ...rows[0], events, conversation: await getConversation(db, id) ?? null }
}
