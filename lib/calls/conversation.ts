import { HANDOFF_OUTCOME } from '../assistant/settings.js'
import type { Static } from '@sinclair/typebox'
import type { Conversation as ConversationSchema } from '../../schemas/calls.js'
import type { Outcome } from '../assistant/assistant.js'
import type { CallQuality } from '../live-call/quality.js'
import type { Queryable } from '../db/database.js'
import { EVENTS_CHANNEL, type LiveEvent } from './events.js'

export type TranscriptLine = Conversation['transcript'][number]

/** What the voice assistant and the caller did on a call's media stream. */
export type Conversation = Static<typeof ConversationSchema>

/** One change to a conversation; each is written (and announced to live boards) as it happens. */
export interface ConversationChange {
  line?: Omit<TranscriptLine, 'at'>
  digit?: string
  bargeIn?: boolean
  outcome?: Outcome
  problem?: string
  /** The stream ended, for this reason. */
  end?: string
  /** How the call sounded, measured over the stream (given with its end). */
  quality?: CallQuality
  /** Who answered, as the stream's first seconds told: kept on the call unless Exotel said human or machine. */
  answeredBy?: 'human' | 'machine' | 'notsure'
}

/** The stream started: a conversation begins (once: a repeated start changes nothing). */
export async function startConversation (db: Queryable, callId: string, assistant: string, streamSid: string): Promise<void> {
  await db.query(
    'INSERT INTO call_conversation (call_id, assistant, stream_sid) VALUES ($1, $2, $3) ON CONFLICT (call_id) DO NOTHING',
    [callId, assistant, streamSid]
  )
}

/** What one call's conversation may hold, however long its streams go on: a call is minutes, not hours. */
export const MAX_TRANSCRIPT_LINES = 1000
export const MAX_KEYS = 200

/** Changes that may be written together (the many small ones of a live call): transcript lines, keys, barge-ins. */
export const combinable = (change: ConversationChange): boolean =>
  Object.keys(change).every((key) => key === 'line' || key === 'digit' || key === 'bargeIn')

/**
 * Writes changes, as if one after the other, in one statement that sets only what they hold (most are a transcript
 * line, written many times a call), and announces each (with the call's batch) only when there was a conversation
 * to change. Several changes are given together only when `combinable` (the live stream's recorder gathers them).
 */
export async function recordConversation (db: Queryable, callId: string, ...changes: [ConversationChange, ...ConversationChange[]]): Promise<void> {
  const events = changes.map((change) => JSON.stringify({ type: 'conversation', conversation: { call_id: callId, ...change } } satisfies LiveEvent))
  const params: unknown[] = [callId, EVENTS_CHANNEL, events]
  const param = (value: unknown) => `$${params.push(value)}`
  const sets: string[] = []
  const at = new Date().toISOString()
  const lines = changes.flatMap((change) => change.line ? [{ ...change.line, at }] : [])
  if (lines.length > 0) {
    sets.push(`transcript = transcript || (
      SELECT coalesce(jsonb_agg(line ORDER BY n), '[]'::jsonb)
      FROM jsonb_array_elements(${param(JSON.stringify(lines))}::jsonb) WITH ORDINALITY AS added(line, n)
      WHERE n <= ${MAX_TRANSCRIPT_LINES} - jsonb_array_length(transcript))`)
  }
  const digits = changes.map((change) => change.digit ?? '').join('')
  if (digits) sets.push(`dtmf = dtmf || left(${param(digits)}, greatest(0, ${MAX_KEYS} - length(dtmf)))`)
  const bargeIns = changes.filter((change) => change.bargeIn).length
  if (bargeIns > 0) sets.push(`barge_ins = barge_ins + ${bargeIns}`)
  const change = changes.length === 1 ? changes[0] : {} // (the rest are never combined)
  if (change.outcome) {
    sets.push(`outcome = ${param(change.outcome.result)}`, `outcome_detail = ${param(JSON.stringify(change.outcome.detail ?? {}))}::jsonb`)
  }
  if (change.problem) sets.push(`problem = ${param(change.problem)}`)
  if (change.end) sets.push('ended_at = coalesce(ended_at, now())', `stop_reason = coalesce(stop_reason, ${param(change.end)})`)
  if (change.quality) sets.push(`quality = ${param(JSON.stringify(change.quality))}::jsonb`)
  // Who answered is kept on the call, unless Exotel said human or machine.
  const answered = change.answeredBy
    ? `answered AS (
         UPDATE call SET answered_by = ${param(change.answeredBy)} WHERE id = $1
           AND (answered_by IS NULL OR answered_by NOT IN ('human', 'machine'))
       ), `
    : ''
  await db.query(
    `WITH ${answered}changed AS (
       UPDATE call_conversation SET ${sets.length > 0 ? sets.join(', ') : 'call_id = call_id'} WHERE call_id = $1 RETURNING call_id
     )
     SELECT pg_notify($2, jsonb_set(event::jsonb, '{conversation,batch_id}', coalesce(to_jsonb(call.batch_id), 'null'))::text)
     FROM changed JOIN call ON call.id = changed.call_id, unnest($3::text[]) WITH ORDINALITY AS announced(event, n)
     ORDER BY n`,
    params
  )
}

export async function getConversation (db: Queryable, callId: string): Promise<Conversation | undefined> {
  const { rows } = await db.query<Conversation>(
    `SELECT assistant, stream_sid, started_at, ended_at, stop_reason, dtmf, transcript, barge_ins, outcome,
       outcome_detail, problem, quality FROM call_conversation WHERE call_id = $1`, [callId]
  )
  return rows[0]
}

/** What the assistant is told of a call (which exists): who is called, with their uploaded fields (none once deleted). */
export async function callContextOf (db: Queryable, callId: string) {
  const { rows } = await db.query<{
    id: string,
    name: string | null,
    phone: string,
    language: string | null,
    attributes: Record<string, unknown> | null,
    assistant_id: string | null,
    assistant_version: number | null,
    answered_by: string | null
  }>(
    `SELECT call.customer_id AS id, coalesce(customer.name, call.customer_name) AS name, call.phone, customer.language,
       customer.attributes, call.assistant_id, call.assistant_version, call.answered_by
     FROM call LEFT JOIN customer ON customer.id = call.customer_id WHERE call.id = $1`, [callId]
  )
  const { assistant_id: id, assistant_version: version, answered_by: answeredBy, ...customer } = rows[0]!
  return {
    ...customer,
    /** Who answered, as Exotel said (human, machine, notsure) when its callback came before the stream. */
    answeredBy,
    attributes: customer.attributes ?? {},
    /** The assistant the call was started with, at its version; null for calls that named none. */
    assistant: id === null || version === null ? null : { id, version }
  }
}

/** Whether a call's conversation ended asking for a person (its outcome is the hand-off). */
export async function handOffAsked (db: Queryable, callId: string): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM call_conversation WHERE call_id = $1 AND outcome = $2', [callId, HANDOFF_OUTCOME])
  return rows.length > 0
}

/** The agent's leg of a hand-off ended: whether an agent took the call, kept with the hand-off's outcome. */
export async function recordHandOff (db: Queryable, callId: string, agentAnswered: boolean): Promise<void> {
  await db.query(`UPDATE call_conversation SET outcome_detail = coalesce(outcome_detail, '{}'::jsonb) || jsonb_build_object('agent_answered', $2::boolean)
    WHERE call_id = $1 AND outcome = $3`, [callId, agentAnswered, HANDOFF_OUTCOME])
}

/**
 * Calls handed to a person in the last `minutes`, latest first, each with who it is and why (the key pressed, or the
 * reason the model gave): for the agent who takes one, a link to what was said.
 */
export async function recentHandOffs (db: Queryable, minutes: number):
Promise<Array<{ call_id: string, customer_name: string, reason: string, ended_at: Date }>> {
  const { rows } = await db.query<{ call_id: string, customer_name: string, reason: string, ended_at: Date }>(
    `SELECT conversation.call_id, coalesce(customer.name, call.customer_name, 'A customer') AS customer_name,
       coalesce('pressed ' || (conversation.outcome_detail ->> 'digit'), nullif(conversation.outcome_detail ->> 'reason', ''),
         'no reason given') AS reason, conversation.ended_at
     FROM call_conversation conversation JOIN call ON call.id = conversation.call_id
     LEFT JOIN customer ON customer.id = call.customer_id
     WHERE conversation.outcome = $1 AND conversation.ended_at > now() - $2 * interval '1 minute'
     ORDER BY conversation.ended_at DESC LIMIT 20`, [HANDOFF_OUTCOME, minutes])
  return rows
}
