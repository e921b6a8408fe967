import { SKIP_REASONS } from '../../schemas/calls.js'
import type { CAMPAIGN_STATUSES } from '../../schemas/campaigns.js'
import { assistantAt, pinAssistant } from '../assistant/store.js'
import { cancelWaiting } from './waiting.js'
import { COLUMNS, isTerminal, SKIP_IF_LIVE, type Call, type CallStatus } from '../calls/calls.js'
import { announce } from '../calls/events.js'
import type { CallingWindow } from '../calling-rules/calling-window.js'
import type { AttemptCap, SkipReason } from '../calling-rules/rules.js'
import type { CustomerFilter } from '../customers/repository.js'
import type { Database, Queryable } from '../db/database.js'
import { DISPATCH_LOCK } from '../dispatch/schedule.js'
import { enqueue } from '../webhooks/webhooks.js'
import { countSkip, planCampaign, type CampaignPlan, type PlannedAssistant, type Schedule, type Selection } from './plan.js'
import { reasonOf, type CallNews } from './reasons.js'
import type { CampaignRules } from './rules.js'

export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number]

/** A selection as stored and answered: the API's own words. */
export type StoredSelection = { customer_ids: string[] } | { filter: CustomerFilter }

/** A campaign as stored. */
export interface CampaignRow {
  id: string
  name: string
  created_by: string
  created_at: Date
  updated_at: Date
  started_at: Date | null
  paused_at: Date | null
  /** Why it paused itself (lib/campaigns/self-pause.ts); null when an operator paused it. */
  paused_reason: string | null
  canceled_at: Date | null
  assistant_id: string | null
  assistant_version: number | null
  selection: StoredSelection | null
  rules: CampaignRules
  start_at: Date | null
  end_at: Date | null
  calling_window: CallingWindow
  total: number
  /** Its own caller numbers, out of the server's pool; null: the whole pool. */
  caller_ids: string[] | null
}

/** A campaign with where it stands. */
export interface Campaign extends CampaignRow {
  status: CampaignStatus
  /** Each customer's latest attempt, by status. */
  counts: Record<CallStatus, number>
  /** Each customer's latest outcome (confirmed, callback, ...), by outcome. */
  outcomes: Record<string, number>
  /** Customers whose part is over: their latest attempt ended and nothing more is queued. */
  done: number
  retries: number
  follow_ups: number
  /** When the earliest waiting call may be dialled; null when none waits. */
  next_dial_at: Date | null
}

/** A campaign in a state that does not allow what was asked (409). */
export class CampaignStateError extends Error {
  readonly statusCode = 409
}

/** Nothing to call: the selection picks nobody who can be dialled (400). */
export class NothingToCallError extends Error {
  readonly statusCode = 400
}

/** The preview's fingerprint is not the selection's any more (409): the operator must look again. */
export class ChangedSinceError extends Error {
  readonly statusCode = 409
  constructor (readonly plan: CampaignPlan) {
    super('Who would be called has changed since the preview: look at the preview again, then start with its fingerprint')
  }
}

export const selectionOf = (stored: StoredSelection): Selection =>
  'customer_ids' in stored ? { customerIds: stored.customer_ids } : { filter: stored.filter }

const scheduleOf = (row: Pick<CampaignRow, 'start_at' | 'end_at' | 'calling_window'>): Schedule => ({
  startAt: row.start_at ?? undefined, endAt: row.end_at ?? undefined, window: row.calling_window
})

export interface CampaignInput {
  name: string
  selection: StoredSelection
  schedule: Schedule
  rules: CampaignRules
  assistant?: { id: string, version: number }
  /** Its own caller numbers (out of the server's pool); undefined or null: the whole pool. */
  callerIds?: string[] | null
}

const ROW = `id, name, created_by, created_at, updated_at, started_at, paused_at, paused_reason, canceled_at, assistant_id, assistant_version,
  selection, rules, start_at, end_at, calling_window, total, caller_ids`

/** A new draft campaign: nothing is dialled until it is started. */
export async function createCampaign (db: Queryable, createdBy: string, input: CampaignInput): Promise<CampaignRow> {
  const { rows } = await db.query<CampaignRow>(
    `INSERT INTO campaign (name, created_by, selection, rules, start_at, end_at, calling_window, assistant_id, assistant_version, caller_ids)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${ROW}`,
    [input.name, createdBy, JSON.stringify(input.selection), JSON.stringify(input.rules), input.schedule.startAt ?? null,
      input.schedule.endAt ?? null, JSON.stringify(input.schedule.window), input.assistant?.id ?? null, input.assistant?.version ?? null,
      input.callerIds ?? null]
  )
  return rows[0]!
}

/** Changes a draft; a campaign that has started keeps what it started with (409). Undefined: no such campaign. */
export async function updateDraft (db: Database, id: string,
  change: Partial<Omit<CampaignInput, 'assistant'>> & { assistant?: CampaignInput['assistant'] | null }): Promise<CampaignRow | undefined> {
  return await db.transaction(async (tx) => {
    const row = await lockCampaign(tx, id)
    if (!row) return undefined
    if (row.started_at || row.canceled_at) throw new CampaignStateError(`Only a draft can be changed: this campaign is ${row.canceled_at ? 'canceled' : 'started'}`)
    const { rows } = await tx.query<CampaignRow>(
      `UPDATE campaign SET name = coalesce($2, name), selection = coalesce($3, selection), rules = coalesce($4, rules),
         start_at = CASE WHEN $5 THEN $6 ELSE start_at END, end_at = CASE WHEN $5 THEN $7 ELSE end_at END,
         calling_window = coalesce($8, calling_window),
         assistant_id = CASE WHEN $9 THEN $10 ELSE assistant_id END,
         assistant_version = CASE WHEN $9 THEN $11 ELSE assistant_version END,
         caller_ids = CASE WHEN $12 THEN $13 ELSE caller_ids END, updated_at = now()
       WHERE id = $1 RETURNING ${ROW}`,
      [id, change.name ?? null, change.selection ? JSON.stringify(change.selection) : null,
        change.rules ? JSON.stringify(change.rules) : null, change.schedule !== undefined,
        change.schedule?.startAt ?? null, change.schedule?.endAt ?? null,
        change.schedule ? JSON.stringify(change.schedule.window) : null,
        change.assistant !== undefined, change.assistant?.id ?? null, change.assistant?.version ?? null,
        change.callerIds !== undefined, change.callerIds ?? null]
    )
    return rows[0]
  })
}

async function lockCampaign (tx: Queryable, id: string): Promise<CampaignRow | undefined> {
  const { rows } = await tx.query<CampaignRow>(`SELECT ${ROW} FROM campaign WHERE id = $1 FOR UPDATE`, [id])
  return rows[0]
}

export interface PlanPolicy {
  attemptCap?: AttemptCap
}

/**
 * The assistant a campaign's calls would talk with now: the one it names at its latest version, else the default
 * (a server always has one: the first is made at its first start, and the default cannot be archived).
 */
async function plannedAssistant (db: Queryable, row: Pick<CampaignRow, 'assistant_id'>): Promise<PlannedAssistant | undefined> {
  const pinned = await pinAssistant(db, row.assistant_id ?? undefined)
  if (!pinned) return undefined
  const found = (await assistantAt(db, pinned.id, pinned.version))!
  return { id: found.id, version: found.version, name: found.name, kind: found.kind, config: found.config }
}

/** Who starting a draft campaign now would dial and skip, and why: what `start` does if nothing changes. */
export async function previewCampaign (db: Queryable, row: CampaignRow, policy: PlanPolicy):
Promise<{ plan: CampaignPlan, assistant: PlannedAssistant | undefined }> {
  return await planOf(db, row, policy, true)
}

/** A campaign's plan from its row (the preview's and the start's alike), with the assistant its calls would pin. */
async function planOf (db: Queryable, row: CampaignRow, policy: PlanPolicy, checkFields: boolean):
Promise<{ plan: CampaignPlan, assistant: PlannedAssistant | undefined }> {
  const assistant = await plannedAssistant(db, row)
  const plan = await planCampaign(db, selectionOf(row.selection!), {
    schedule: scheduleOf(row),
    attemptCap: policy.attemptCap,
    assistant,
    skipFinalWithinDays: row.rules.skip_final_within_days,
    checkFields
  })
  return { plan, assistant }
}

/** The start's counts. */
export interface Started {
  queued: number
  skipped: Partial<Record<SkipReason, number>>
  firstDialAt: Date
  plan: CampaignPlan
}

/**
 * Starts a draft: its plan is made again, in the transaction that queues it, and must carry the fingerprint the
 * operator saw (`fingerprint`; null only for a campaign made and started in one request, as POST
 * /api/trigger-bulk-calls does). Each customer to dial gets a call queued from the first opening; those skipped
 * as suppressed, capped, recently final or missing a field get a canceled call saying why.
 */
export async function startCampaign (db: Database, id: string, triggeredBy: string, fingerprint: string | null,
  policy: PlanPolicy): Promise<Started | undefined> {
  return await db.transaction(async (tx) => await startIn(tx, id, triggeredBy, fingerprint, policy, true))
}

async function startIn (tx: Queryable, id: string, triggeredBy: string, fingerprint: string | null, policy: PlanPolicy,
  checkFields: boolean): Promise<Started | undefined> {
  const row = await lockCampaign(tx, id)
  if (!row) return undefined
  if (row.started_at || row.canceled_at) {
    throw new CampaignStateError(`This campaign has already ${row.canceled_at ? 'been canceled' : 'started'}`)
  }
  // One start at a time with the dispatcher's claims, so that a customer is never both queued and claimed twice.
  await tx.query('SELECT pg_advisory_xact_lock($1)', [DISPATCH_LOCK])
  const { plan, assistant } = await planOf(tx, row, policy, checkFields)
  if (fingerprint !== null && fingerprint !== plan.fingerprint) throw new ChangedSinceError(plan)
  const dial = plan.calls.filter((call) => call.action === 'dial').map((call) => call.customer_id)
  const recorded = plan.calls.filter((call) => call.reason && RECORDED_SKIPS.has(call.reason))
  const { rows } = await tx.query<{ queued: number }>(QUEUE_SQL, [
    id, triggeredBy, plan.firstDialAt, assistant?.id ?? null, assistant?.version ?? null, dial,
    recorded.map((call) => call.customer_id), recorded.map((call) => call.reason)
  ])
  const queued = rows[0]!.queued
  const skipped = { ...plan.skipped }
  // Customers whose live call began since the plan was made: left to it.
  countSkip(skipped, 'in-progress', dial.length - queued)
  if (queued === 0) throw new NothingToCallError(nothingToCall(plan, skipped))
  await tx.query(
    `UPDATE campaign SET started_at = now(), total = $2, assistant_id = $3, assistant_version = $4, updated_at = now()
     WHERE id = $1`, [id, queued, assistant?.id ?? null, assistant?.version ?? null])
  await announce(tx, { type: 'batch', batch: { id, change: 'queued', calls: queued } })
  return { queued, skipped, firstDialAt: plan.firstDialAt, plan }
}

/** Skips kept as a canceled call with its reason, so that the campaign's results say why they were not called. */
const RECORDED_SKIPS = new Set<string>(['suppressed', 'attempt-cap', 'recently-final', 'missing-field'])

/**
 * Queues a campaign's calls in one statement: a queued call per customer to dial (in the plan's order, unless they
 * have a live call by now), a canceled one per recorded skip, their timeline entries, and the dialled customers'
 * last status. $1 campaign, $2 who started it, $3 first dial, $4-$5 assistant, $6 ids to dial, $7-$8 skips.
 */
const QUEUE_SQL = `WITH dial AS (
    SELECT customer.id, customer.name, customer.phone, picked.n FROM unnest($6::text[]) WITH ORDINALITY AS picked (id, n)
    JOIN customer ON customer.id = picked.id
  ),
  queued AS (
    INSERT INTO call (customer_id, customer_name, phone, triggered_by, batch_id, status, not_before, assistant_id, assistant_version)
    SELECT id, name, phone, $2, $1, 'queued', $3, $4, $5 FROM dial ORDER BY n
    ${SKIP_IF_LIVE}
    RETURNING id, customer_id
  ),
  skipped AS (
    INSERT INTO call (customer_id, customer_name, phone, triggered_by, batch_id, status, skip_reason, ended_at, reported_at, assistant_id, assistant_version)
    SELECT customer.id, customer.name, customer.phone, $2, $1, 'canceled', skip.reason, now(), now(), $4, $5
    FROM unnest($7::text[], $8::text[]) WITH ORDINALITY AS skip (id, reason, n) JOIN customer ON customer.id = skip.id ORDER BY skip.n
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
  SELECT (SELECT count(*) FROM queued)::int AS queued`

function nothingToCall (plan: CampaignPlan, skipped: Partial<Record<SkipReason, number>>): string {
  if (plan.calls.length === 0) return 'No customers to call'
  if (skipped['in-progress'] === plan.calls.length) return 'Every customer selected already has a call queued or in progress'
  const reasons = SKIP_REASONS.filter((reason) => skipped[reason]).map((reason) => [reason, skipped[reason]]).map(([reason, n]) => `${n} ${reason}`).join(', ')
  return `None of the customers selected can be called (${reasons})`
}

/** Makes a campaign and starts it at once, in one transaction, as POST /api/trigger-bulk-calls does. */
export async function startNow (db: Database, createdBy: string, input: CampaignInput, policy: PlanPolicy):
Promise<Started & { id: string }> {
  return await db.transaction(async (tx) => {
    const row = await createCampaign(tx, createdBy, input)
    const started = await startIn(tx, row.id, createdBy, null, policy, false)
    return { ...started!, id: row.id }
  })
}

/** Pauses a running or scheduled campaign: nothing more is dialled until resumed; calls in flight finish. */
export async function pauseCampaign (db: Database, id: string): Promise<Campaign | undefined> {
  return await changeState(db, id, 'paused', ['running', 'scheduled'], 'paused_at = now(), paused_reason = NULL', 'paused')
}

/**
 * The campaign pauses itself, saying why (its dials failing): as an operator's pause, and announced to webhooks
 * (`campaign.paused`) in the same transaction. Nothing happens to a campaign no longer running.
 */
export async function pauseItself (db: Database, id: string, reason: string, now: Date): Promise<Campaign | undefined> {
  return await changeState(db, id, 'paused', ['running', 'scheduled'], 'paused_at = now(), paused_reason = $2', 'paused', async (tx) => {
    // (Read only when an endpoint asked for the event.)
    await enqueue(tx, 'campaign.paused', async () => {
      const { rows: [paused] } = await tx.query<{ name: string, paused_at: Date }>('SELECT name, paused_at FROM campaign WHERE id = $1', [id])
      return { campaign_id: id, name: paused!.name, reason, paused_at: paused!.paused_at }
    }, now)
    return 0
  }, [reason])
}

/** Resumes a paused campaign: what waits is dialled as its schedule allows. */
export async function resumeCampaign (db: Database, id: string): Promise<Campaign | undefined> {
  return await changeState(db, id, 'resumed', ['paused'], 'paused_at = NULL, paused_reason = NULL, resumed_at = now()', 'resumed')
}

/**
 * Cancels a campaign: a draft is closed; a started one's calls not yet claimed for dialling are canceled, and
 * nothing more is queued. Calls already dialling go on.
 */
export async function cancelCampaign (db: Database, id: string): Promise<{ campaign: Campaign, canceled: number } | undefined> {
  let canceled = 0
  const campaign = await changeState(db, id, 'canceled', ['draft', 'scheduled', 'running', 'paused'], 'canceled_at = now()', 'canceled',
    async (tx) => {
      canceled = await cancelWaiting(tx, id, { reason: 'canceled', source: 'api', dedupeKey: 'canceled', detail: {} })
      return canceled
    })
  return campaign && { campaign, canceled }
}

async function changeState (db: Database, id: string, done: string, from: CampaignStatus[], set: string,
  change: 'paused' | 'resumed' | 'canceled', also?: (tx: Queryable) => Promise<number>, values: unknown[] = []): Promise<Campaign | undefined> {
  return await db.transaction(async (tx) => {
    if (!await lockCampaign(tx, id)) return undefined
    // After a round that is claiming calls, so that once paused, nothing more of it is claimed.
    await tx.query('SELECT pg_advisory_xact_lock($1)', [DISPATCH_LOCK])
    const before = (await campaignsWhere(tx, 'id = $1', [id]))[0]!
    if (!from.includes(before.status)) {
      throw new CampaignStateError(`Only a ${orList(from)} campaign can be ${done}: this one is ${before.status}`)
    }
    await tx.query(`UPDATE campaign SET ${set}, updated_at = now() WHERE id = $1`, [id, ...values])
    const calls = await also?.(tx) ?? 0
    await announce(tx, { type: 'batch', batch: { id, change, calls } })
    return (await campaignsWhere(tx, 'id = $1', [id]))[0]
  })
}

export async function getCampaign (db: Queryable, id: string): Promise<Campaign | undefined> {
  return (await campaignsWhere(db, 'id = $1', [id]))[0]
}

/** The latest campaigns, newest first (drafts included), each with where it stands. */
export async function listCampaigns (db: Queryable, limit: number, offset: number): Promise<{ campaigns: Campaign[], total: number }> {
  const campaigns = await campaignsWhere(db, 'true ORDER BY created_at DESC, id LIMIT $1 OFFSET $2', [limit, offset])
  const { rows } = await db.query<{ total: number }>('SELECT count(*)::int AS total FROM campaign')
  return { campaigns, total: rows[0]!.total }
}

/** Campaigns with where they stand, in two queries whatever their number: the rows, then their calls grouped. */
export async function campaignsWhere (db: Queryable, where: string, params: unknown[]): Promise<Campaign[]> {
  const { rows } = await db.query<CampaignRow>(`SELECT ${ROW} FROM campaign WHERE ${where}`, params)
  if (rows.length === 0) return []
  // Each customer's latest attempt, with its outcome and whether anything was dialled, per campaign.
  const { rows: latest } = await db.query<{
    batch_id: string,
    status: CallStatus,
    outcome: string | null,
    n: number,
    retries: number,
    follow_ups: number,
    dialled: number,
    next: Date | null
  }>(
    `SELECT batch_id, status, outcome, count(*)::int AS n, sum(retries)::int AS retries, sum(follow_ups)::int AS follow_ups,
       sum(dialled)::int AS dialled, min(not_before) FILTER (WHERE claimed_at IS NULL AND status = 'queued') AS next FROM (
       SELECT DISTINCT ON (batch_id, customer_id) batch_id, status, not_before, claimed_at,
         (SELECT outcome FROM call_conversation conversation JOIN call tried ON tried.id = conversation.call_id
          WHERE tried.batch_id = call.batch_id AND tried.customer_id = call.customer_id AND conversation.outcome IS NOT NULL
          ORDER BY tried.attempt DESC LIMIT 1) AS outcome,
         (SELECT count(*) FILTER (WHERE follows = 'retry') FROM call tried
          WHERE tried.batch_id = call.batch_id AND tried.customer_id = call.customer_id) AS retries,
         (SELECT count(*) FILTER (WHERE follows = 'follow-up') FROM call tried
          WHERE tried.batch_id = call.batch_id AND tried.customer_id = call.customer_id) AS follow_ups,
         (SELECT count(*) FROM call tried WHERE tried.batch_id = call.batch_id AND tried.customer_id = call.customer_id
          AND tried.dialled_at IS NOT NULL) AS dialled
       FROM call WHERE batch_id = ANY($1::uuid[]) ORDER BY batch_id, customer_id, attempt DESC
     ) latest GROUP BY batch_id, status, outcome`, [rows.map((row) => row.id)]
  )
  const now = Date.now()
  return rows.map((row) => {
    const counts = Object.fromEntries(STATUSES.map((status) => [status, 0])) as Record<CallStatus, number>
    const outcomes: Record<string, number> = {}
    let retries = 0; let followUps = 0; let dialled = 0; let done = 0; let next: Date | null = null
    for (const group of latest.filter((group) => group.batch_id === row.id)) {
      counts[group.status] += group.n
      if (group.outcome) outcomes[group.outcome] = (outcomes[group.outcome] ?? 0) + group.n
      retries += group.retries
      followUps += group.follow_ups
      dialled += group.dialled
      if (isTerminal(group.status)) done += group.n
      if (group.next && (!next || group.next < next)) next = group.next
    }
    const waiting = STATUSES.some((status) => !isTerminal(status) && counts[status] > 0)
    const status: CampaignStatus = row.canceled_at
      ? 'canceled'
      : !row.started_at
          ? 'draft'
          : row.paused_at
            ? 'paused'
            : !waiting
                ? 'finished'
                : dialled === 0 && next !== null && new Date(next).getTime() > now
                  ? 'scheduled'
                  : 'running'
    return { ...row, status, counts, outcomes, done, retries, follow_ups: followUps, next_dial_at: next }
  })
}

const STATUSES: CallStatus[] = ['queued', 'initiated', 'ringing', 'in-progress', 'completed', 'busy', 'no-answer', 'failed', 'canceled']

const orList = (words: string[]) => words.length === 1 ? words[0]! : `${words.slice(0, -1).join(', ')} or ${words.at(-1)!}`

/** A campaign's calls, latest change first, each with its outcome and where it stands in plain words. */
export async function campaignCalls (db: Queryable, campaign: Campaign, limit: number, offset: number):
Promise<{ calls: Array<Call & { outcome: string | null, reason: string }>, total: number }> {
  const { rows } = await db.query<Call & { outcome: string | null }>(
    `SELECT ${COLUMNS}, (SELECT outcome FROM call_conversation WHERE call_id = call.id) AS outcome
     FROM call WHERE batch_id = $1 ORDER BY updated_at DESC, id LIMIT $2 OFFSET $3`, [campaign.id, limit, offset])
  const { rows: counted } = await db.query<{ total: number }>('SELECT count(*)::int AS total FROM call WHERE batch_id = $1', [campaign.id])
  return { calls: await explainCalls(db, rows, campaign.calling_window.timezone), total: counted[0]!.total }
}

/** The rules of a single call: nothing follows it. */
const SINGLE: CampaignRules = { retry: { on: [], retries: 0, delay_seconds: 0 }, follow_up: { delay_seconds: 0, max: 0 }, skip_final_within_days: 0 }

/**
 * Calls with where each stands in plain words (lib/campaigns/reasons.ts), told by its campaign's rules, in its
 * calling window's time zone (a single call's in `timezone`): three queries whatever their number.
 */
export async function explainCalls<T extends Call & { outcome: string | null }> (db: Queryable, calls: T[], timezone: string):
Promise<Array<T & { reason: string }>> {
  const { rows: news } = await db.query<{ id: string, follows: string | null, next: CallNews['next'], deferred_until: string | null }>(
    `SELECT id, follows, (SELECT detail FROM call_event WHERE call_id = call.id AND dedupe_key = 'next-attempt') AS next,
       (SELECT detail ->> 'until' FROM call_event WHERE call_id = call.id AND dedupe_key LIKE 'deferred-%'
        ORDER BY id DESC LIMIT 1) AS deferred_until
     FROM call WHERE id = ANY($1::uuid[])`, [calls.map((call) => call.id)])
  const { rows: campaigns } = await db.query<{ id: string, rules: CampaignRules, timezone: string, paused: boolean }>(
    `SELECT id, rules, calling_window ->> 'timezone' AS timezone, paused_at IS NOT NULL AS paused FROM campaign
     WHERE id = ANY($1::uuid[])`, [[...new Set(calls.map((call) => call.batch_id).filter(Boolean))]])
  const newsOf = new Map(news.map((row) => [row.id, row]))
  const campaignOf = new Map(campaigns.map((row) => [row.id, row]))
  const now = new Date()
  return calls.map((call) => {
    const { follows, next, deferred_until: deferredUntil } = newsOf.get(call.id)!
    const campaign = call.batch_id ? campaignOf.get(call.batch_id) : undefined
    return {
      ...call,
      reason: reasonOf({ ...call, follows }, { outcome: call.outcome, next, deferredUntil }, campaign?.rules ?? SINGLE,
        campaign?.timezone ?? timezone, campaign?.paused ?? false, now)
    }
  })
}
