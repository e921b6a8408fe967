import { createHash } from 'node:crypto'
import type { Static } from '@sinclair/typebox'
import type { PlannedCall as PlannedCallSchema } from '../../schemas/calls.js'
import type { AssistantConfig } from '../../schemas/assistants.js'
import { unfilledChecker } from '../assistant/preview.js'
import type { AssistantKind } from '../assistant/store.js'
import { LIVE, type PinnedAssistant } from '../calls/calls.js'
import { nextOpening, type CallingWindow } from '../calling-rules/calling-window.js'
import { blockedReason, type AttemptCap, type SkipReason } from '../calling-rules/rules.js'
import { customerFilter, type CustomerFilter } from '../customers/repository.js'
import type { Queryable } from '../db/database.js'

/** Who a campaign calls: these customer ids, or every customer matching a filter (all of them when empty). */
export type Selection =
  | { customerIds: string[] }
  | { filter: CustomerFilter }

/** When a campaign's calls may be dialled: from `startAt` (default now), inside `window`, until `endAt` (if given). */
export interface Schedule {
  startAt?: Date
  endAt?: Date
  window: CallingWindow
}

/** A schedule that cannot be kept. */
export class ScheduleError extends Error {
  readonly statusCode = 400
}

/** The first moment a campaign's calls may be dialled; throws ScheduleError when the window never opens in time. */
export function firstDial (schedule: Schedule, now = new Date()): Date {
  const from = schedule.startAt && schedule.startAt > now ? schedule.startAt : now
  if (schedule.endAt && schedule.endAt <= from) throw new ScheduleError('end_at must be after start_at and after now')
  const opening = nextOpening(schedule.window, from)
  if (schedule.endAt && opening >= schedule.endAt) {
    throw new ScheduleError(`The calling window does not open before end_at (it opens at ${opening.toISOString()})`)
  }
  return opening
}

/** The assistant a campaign's calls pin, with what the plan checks of it. */
export interface PlannedAssistant extends PinnedAssistant {
  name: string
  kind: AssistantKind
  config: AssistantConfig
}

export interface PlanOptions {
  schedule: Schedule
  attemptCap?: AttemptCap
  assistant?: PlannedAssistant
  /** Skip customers whose call in this many days ended with one of the assistant's final outcomes (0: none). */
  skipFinalWithinDays?: number
  /** Skip customers who lack a field the assistant says with no fallback. */
  checkFields?: boolean
}

/** What a plan says of one customer. */
export type PlannedCall = Static<typeof PlannedCallSchema>

export interface CampaignPlan {
  /** When the first calls would be dialled (the calling window's first opening from the start). */
  firstDialAt: Date
  /** Each selected customer, in upload order (unknown ids last), dialled or skipped with why. */
  calls: PlannedCall[]
  /** Customers that would be skipped, by why. */
  skipped: Partial<Record<SkipReason, number>>
  /** Who would be dialled and skipped, and with which assistant version: what `start` checks nothing changed in. */
  fingerprint: string
}

/** Each selected customer, and why it would be skipped (null: dialled), with what the fields check needs. */
function pickedSql (selection: Selection, options: PlanOptions, params: unknown[]): string {
  const where = 'customerIds' in selection
    ? `WHERE id = ANY($${params.push(selection.customerIds)}::text[])`
    : customerFilter(selection.filter, params)
  const finals = (options.assistant?.config.outcomes ?? []).filter((outcome) => outcome.final).map((outcome) => outcome.name)
  const days = options.skipFinalWithinDays ?? 0
  const recentlyFinal = days > 0 && finals.length > 0
    ? `WHEN EXISTS (SELECT 1 FROM call prior JOIN call_conversation conversation ON conversation.call_id = prior.id
         WHERE prior.customer_id = customer.id AND conversation.outcome = ANY($${params.push(finals)}::text[])
         AND prior.ended_at > now() - $${params.push(days)} * interval '1 day') THEN 'recently-final'`
    : ''
  // The fields check reads each customer's details; without it, only ids and reasons cross over.
  const details = options.checkFields ? 'customer.name, customer.phone, customer.language, customer.attributes,' : ''
  return `SELECT customer.id, customer.seq, ${details}
      CASE WHEN EXISTS (SELECT 1 FROM call live WHERE live.customer_id = customer.id AND ${LIVE}) THEN 'in-progress'
      ELSE coalesce(${blockedReason('customer.id', 'customer.phone', options.attemptCap, params)},
        CASE ${recentlyFinal || 'WHEN false THEN NULL'} END) END AS skip_reason
    FROM customer ${where}`
}

/** Adds `n` (if any) customers skipped for `reason` to `counts`. */
export function countSkip (counts: Partial<Record<SkipReason, number>>, reason: SkipReason, n: number): void {
  if (n > 0) counts[reason] = (counts[reason] ?? 0) + n
}

/** What starting a campaign would do, customer by customer, without doing it. */
export async function planCampaign (db: Queryable, selection: Selection, options: PlanOptions): Promise<CampaignPlan> {
  const firstDialAt = firstDial(options.schedule)
  const params: unknown[] = []
  const { rows } = await db.query<{
    id: string, name: string | null, phone: string, language: string | null, attributes: Record<string, unknown>, skip_reason: SkipReason | null
  }>(`SELECT * FROM (${pickedSql(selection, options, params)}) picked ORDER BY seq`, params)
  const unfilled = options.checkFields && options.assistant ? unfilledChecker(options.assistant.kind, options.assistant.config) : undefined
  const calls: PlannedCall[] = rows.map((row) => {
    const missing = row.skip_reason === null && unfilled ? unfilled(row) : []
    const reason = row.skip_reason ?? (missing.length > 0 ? 'missing-field' : null)
    return {
      customer_id: row.id,
      action: reason ? 'skip' : 'dial',
      reason,
      ...missing.length > 0 ? { missing } : {}
    }
  })
  if ('customerIds' in selection) {
    const found = new Set(rows.map((row) => row.id))
    for (const id of new Set(selection.customerIds)) {
      if (!found.has(id)) calls.push({ customer_id: id, action: 'skip', reason: 'not-found' })
    }
  }
  const skipped: CampaignPlan['skipped'] = {}
  for (const { reason } of calls) if (reason) countSkip(skipped, reason, 1)
  const hash = createHash('sha256').update(`${options.assistant?.id ?? ''}@${options.assistant?.version ?? ''}\n`)
  for (const call of calls) hash.update(`${call.customer_id}\t${call.reason ?? ''}\n`)
  return { firstDialAt, calls, skipped, fingerprint: hash.digest('base64url').slice(0, 22) }
}
