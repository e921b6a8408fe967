import type { SkipReason } from '../calling-rules/rules.js'
import { campaignMayHaveEnded } from '../calls/completion.js'
import type { Queryable } from '../db/database.js'

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
       UPDATE call SET status = 'canceled', skip_reason = $3, ended_at = now(), updated_at = now(), claimed_at = NULL, reported_at = now()
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
  // Its last calls canceled, or the campaign's calling ended: it may have ended.
  await campaignMayHaveEnded(tx, batchId, new Date())
  return rows[0]!.n
}
