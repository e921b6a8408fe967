import { randomBytes } from 'node:crypto'
import type { Queryable } from '../db/database.js'

/** The events an endpoint may ask for. */
export const EVENTS = ['call.completed', 'campaign.finished', 'campaign.paused', 'upload.completed'] as const
export type EventName = (typeof EVENTS)[number]

/** An endpoint, as the API shows it: never its secret. */
export interface Webhook {
  id: string
  url: string
  events: string[]
  description: string | null
  enabled: boolean
  disabled_reason: string | null
  previous_secret_until: Date | null
  created_by: string
  created_at: Date
  updated_at: Date
}

const SHOWN = 'id, url, events, description, enabled, disabled_reason, previous_secret_until, created_by, created_at, updated_at'

/** How long the secret before a rotation still signs: receivers switch to the new one within it. */
export const ROTATION_OVERLAP_HOURS = 24

/** A new signing secret in the Standard Webhooks form: whsec_ and 32 random bytes in base64. */
export function newSecret (): string {
  return `whsec_${randomBytes(32).toString('base64')}`
}

export async function createWebhook (db: Queryable, input: { url: string, events: string[], description?: string, createdBy: string }) {
  const secret = newSecret()
  const { rows: [webhook] } = await db.query<Webhook>(
    `INSERT INTO webhook (url, events, description, secret, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING ${SHOWN}`,
    [input.url, input.events, input.description ?? null, secret, input.createdBy])
  return { webhook: webhook!, secret }
}

export async function listWebhooks (db: Queryable): Promise<Webhook[]> {
  return (await db.query<Webhook>(`SELECT ${SHOWN} FROM webhook ORDER BY created_at, id`)).rows
}

export async function getWebhook (db: Queryable, id: string): Promise<Webhook | undefined> {
  return (await db.query<Webhook>(`SELECT ${SHOWN} FROM webhook WHERE id = $1`, [id])).rows[0]
}

/** Changes what is given; enabling again clears why it was switched off. */
export async function updateWebhook (db: Queryable, id: string,
  change: { url?: string, events?: string[], description?: string | null, enabled?: boolean }): Promise<Webhook | undefined> {
  const { rows: [webhook] } = await db.query<Webhook>(
    `UPDATE webhook SET url = COALESCE($2, url), events = COALESCE($3, events),
       description = CASE WHEN $4::boolean THEN $5 ELSE description END,
       enabled = COALESCE($6, enabled), disabled_reason = CASE WHEN $6 THEN NULL ELSE disabled_reason END, updated_at = now()
     WHERE id = $1 RETURNING ${SHOWN}`,
    [id, change.url ?? null, change.events ?? null, change.description !== undefined, change.description ?? null, change.enabled ?? null])
  return webhook
}

export async function deleteWebhook (db: Queryable, id: string): Promise<boolean> {
  return (await db.query('DELETE FROM webhook WHERE id = $1', [id])).rowCount > 0
}

/** A new secret; the old one signs too for ROTATION_OVERLAP_HOURS. Answers the new one, or undefined. */
export async function rotateSecret (db: Queryable, id: string, now: Date): Promise<{ webhook: Webhook, secret: string } | undefined> {
  const secret = newSecret()
  const { rows: [webhook] } = await db.query<Webhook>(
    `UPDATE webhook SET previous_secret = secret, secret = $2,
       previous_secret_until = $3::timestamptz + make_interval(hours => ${ROTATION_OVERLAP_HOURS}), updated_at = now()
     WHERE id = $1 RETURNING ${SHOWN}`, [id, secret, now])
  return webhook ? { webhook, secret } : undefined
}

/**
 * Writes a delivery of `event` for every enabled endpoint that asked for it, in the caller's transaction: it is sent
 * exactly when the change it reports is kept. `data` may be a function, then asked only when an endpoint wants it.
 */
export async function enqueue (tx: Queryable, event: EventName,
  data: Record<string, unknown> | (() => Promise<Record<string, unknown>>), now: Date): Promise<void> {
  const { rows } = await tx.query<{ id: string }>('SELECT id FROM webhook WHERE enabled AND $1 = ANY(events)', [event])
  if (rows.length === 0) return
  const payload = { type: event, timestamp: now, data: typeof data === 'function' ? await data() : data }
  await tx.query(
    `INSERT INTO webhook_delivery (webhook_id, event, payload, next_attempt_at)
     SELECT id, $2, $3, $4 FROM unnest($1::uuid[]) AS id`, [rows.map((row) => row.id), event, JSON.stringify(payload), now])
}

/** Endpoints switched off after failing (not those an administrator switched off), for the dashboard's notices. */
export async function switchedOff (db: Queryable): Promise<Webhook[]> {
  return (await db.query<Webhook>(`SELECT ${SHOWN} FROM webhook WHERE NOT enabled AND disabled_reason IS NOT NULL ORDER BY updated_at DESC`)).rows
}
