import type { Static } from '@sinclair/typebox'
import type { Batch as BatchSchema } from '../../schemas/calls.js'
import type { Database, Queryable } from '../db/database.js'
import { campaignsWhere, type Campaign } from '../campaigns/campaigns.js'
import { cancelWaiting } from '../campaigns/waiting.js'
import { isTerminal } from './calls.js'
import { announce } from './events.js'

/** A batch with its progress, as GET /api/batches answers it (schemas/calls.ts): a started campaign, in its first words. */
export type BatchProgress = Static<typeof BatchSchema>

function asBatch (campaign: Campaign): BatchProgress {
  const waiting = Object.entries(campaign.counts).some(([status, n]) => n > 0 && !isTerminal(status))
  return {
    id: campaign.id,
    status: waiting ? 'running' : campaign.canceled_at ? 'canceled' : 'finished',
    created_by: campaign.created_by,
    created_at: campaign.created_at,
    canceled_at: campaign.canceled_at,
    total: campaign.total,
    start_at: campaign.start_at,
    end_at: campaign.end_at,
    calling_window: campaign.calling_window,
    counts: campaign.counts,
    retries: campaign.retries + campaign.follow_ups,
    next_dial_at: campaign.next_dial_at
  } as unknown as BatchProgress
}

export async function getBatch (db: Queryable, id: string): Promise<BatchProgress | undefined> {
  const found = (await campaignsWhere(db, 'id = $1 AND started_at IS NOT NULL', [id]))[0]
  return found && asBatch(found)
}

/** The latest batches (started campaigns), newest first, each with its progress. */
export async function listBatches (db: Queryable, limit: number, offset: number): Promise<{ batches: BatchProgress[], total: number }> {
  const campaigns = await campaignsWhere(db, 'started_at IS NOT NULL ORDER BY created_at DESC, id LIMIT $1 OFFSET $2', [limit, offset])
  const { rows: counted } = await db.query<{ total: number }>('SELECT count(*)::int AS total FROM campaign WHERE started_at IS NOT NULL')
  return { batches: campaigns.map(asBatch), total: counted[0]!.total }
}

/**
 * Stops a batch: its calls not yet claimed for dialling are canceled, and no retry is queued after. Calls already
 * dialling go on. Answers how many were canceled, or undefined for an unknown batch.
 */
export async function cancelBatch (db: Database, id: string): Promise<number | undefined> {
  return await db.transaction(async (tx) => {
    const { rowCount } = await tx.query(
      'UPDATE campaign SET canceled_at = COALESCE(canceled_at, now()) WHERE id = $1 AND started_at IS NOT NULL', [id]
    )
    if (rowCount === 0) return undefined
    const canceled = await cancelWaiting(tx, id, { reason: 'canceled', source: 'api', dedupeKey: 'canceled', detail: {} })
    await announce(tx, { type: 'batch', batch: { id, change: 'canceled', calls: canceled } })
    return canceled
  })
}
