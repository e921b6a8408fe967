import type { Database, Queryable } from '../db/database.js'
import { enqueue } from '../webhooks/webhooks.js'

const FINAL = "('completed', 'busy', 'no-answer', 'failed', 'canceled')"

/** Held while a campaign's end is decided, so that two last calls ending at once see each other. */
const CAMPAIGN_END_LOCK = 727_004

/**
 * A call may be done: its status is final and its conversation, if it had one, has ended. Exotel's callback and the
 * stream's stop come in either order; the first time both hold, call.completed is written to the outbox and the
 * call's campaign may have ended, in the caller's transaction (which holds the call's row).
 */
export async function callMayBeDone (tx: Queryable, callId: string, now: Date): Promise<void> {
  const { rows: [done] } = await tx.query<{ batch_id: string | null }>(
    `UPDATE call SET reported_at = $2 WHERE id = $1 AND reported_at IS NULL AND status IN ${FINAL}
       AND NOT EXISTS (SELECT 1 FROM call_conversation WHERE call_id = $1 AND ended_at IS NULL)
     RETURNING batch_id`, [callId, now])
  if (!done) return
  await enqueue(tx, 'call.completed', async () => await callCompleted(tx, callId), now)
  if (done.batch_id) await campaignMayHaveEnded(tx, done.batch_id, now)
}

/** What call.completed says of a call (schemas/webhooks.ts CallCompleted). */
async function callCompleted (tx: Queryable, callId: string): Promise<Record<string, unknown>> {
  const { rows: [data] } = await tx.query<Record<string, unknown>>(
    `SELECT call.id AS call_id, call.customer_id, call.customer_name AS name, call.phone, call.batch_id AS campaign_id,
       call.attempt, call.status, call.skip_reason, call.error, call.answered_by, call.duration_seconds,
       call.dialled_at, call.answered_at, call.ended_at, conversation.outcome,
       coalesce(conversation.outcome_detail, '{}') AS outcome_fields, coalesce(conversation.transcript, '[]') AS transcript,
       conversation.stop_reason, conversation.quality, call.recording_url,
       CASE WHEN EXISTS (SELECT 1 FROM call_recording WHERE call_id = call.id) THEN '/api/calls/' || call.id || '/recording' END AS recording_path
     FROM call LEFT JOIN call_conversation conversation ON conversation.call_id = call.id WHERE call.id = $1`, [callId])
  return data!
}

/**
 * A campaign has ended when it started and every one of its calls is done (reported, or never dialled): written once,
 * with campaign.finished ('canceled' when it was), in the caller's transaction.
 */
export async function campaignMayHaveEnded (tx: Queryable, campaignId: string, now: Date): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [CAMPAIGN_END_LOCK, campaignId])
  const { rows: [ended] } = await tx.query<{ status: 'finished' | 'canceled' }>(
    `INSERT INTO campaign_end (campaign_id, status, at)
     SELECT id, CASE WHEN canceled_at IS NULL THEN 'finished' ELSE 'canceled' END, $2 FROM campaign
     WHERE id = $1 AND started_at IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM call WHERE batch_id = $1 AND reported_at IS NULL)
     ON CONFLICT (campaign_id) DO NOTHING RETURNING status`, [campaignId, now])
  if (!ended) return
  await enqueue(tx, 'campaign.finished', async () => {
    // Loaded when used: lib/campaigns imports lib/calls, which imports this module.
    const { campaignsWhere } = await import('../campaigns/campaigns.js')
    const campaign = (await campaignsWhere(tx, 'id = $1', [campaignId]))[0]!
    return {
      campaign_id: campaign.id,
      name: campaign.name,
      status: ended.status,
      started_at: campaign.started_at,
      ended_at: now,
      customers: campaign.total,
      counts: campaign.counts,
      outcomes: campaign.outcomes,
      retries: campaign.retries,
      follow_ups: campaign.follow_ups
    }
  }, now)
}

/** How long after Exotel's final status a conversation whose stream never said it stopped is taken as lost. */
export const LOST_AFTER_MS = 2 * 60_000

/**
 * Conversations of ended calls whose stream never said it stopped (the server stopped mid-call): closed as lost, so
 * that their call is reported. The dispatcher's upkeep runs it.
 */
export async function closeLostConversations (db: Database, now: Date): Promise<number> {
  const { rows } = await db.query<{ call_id: string }>(
    `SELECT conversation.call_id FROM call_conversation conversation JOIN call ON call.id = conversation.call_id
     WHERE conversation.ended_at IS NULL AND call.status IN ${FINAL}
       AND call.ended_at < $1::timestamptz - make_interval(secs => $2) LIMIT 100`, [now, LOST_AFTER_MS / 1000])
  for (const { call_id: callId } of rows) {
    await db.transaction(async (tx) => {
      await tx.query('SELECT 1 FROM call WHERE id = $1 FOR UPDATE', [callId])
      await tx.query(
        `UPDATE call_conversation SET ended_at = $2, stop_reason = coalesce(stop_reason, 'lost')
         WHERE call_id = $1 AND ended_at IS NULL`, [callId, now])
      await callMayBeDone(tx, callId, now)
    })
  }
  return rows.length
}

/** The conversation's stream stopped: its call may be done (when Exotel's final status came first). */
export async function conversationEnded (db: Database, callId: string, now: Date): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('SELECT 1 FROM call WHERE id = $1 FOR UPDATE', [callId])
    await callMayBeDone(tx, callId, now)
  })
}
