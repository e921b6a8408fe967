import type { Database, Queryable } from '../db/database.js'

/** The two kinds of voice assistant: recorded or synthesized prompts driven by the keypad, or OpenAI Realtime. */
export type AssistantKind = 'scripted' | 'openai'

/** An assistant at its latest version. */
export interface StoredAssistant {
  id: string
  name: string
  kind: AssistantKind
  version: number
  /** The latest version's settings, as its kind's schema describes them. */
  config: Record<string, unknown>
  created_by: string
  created_at: Date
  updated_at: Date
  archived_at: Date | null
}

/** One version, as it was saved: never changed afterwards. */
export interface AssistantVersion {
  version: number
  name: string
  config: Record<string, unknown>
  created_by: string
  created_at: Date
}

const LATEST = `SELECT assistant.id, assistant.name, assistant.kind, assistant.version, assistant_version.config,
  assistant.created_by, assistant.created_at, assistant.updated_at, assistant.archived_at
  FROM assistant JOIN assistant_version
    ON assistant_version.assistant_id = assistant.id AND assistant_version.version = assistant.version`

/** A new assistant, at version 1. */
export async function createAssistant (db: Database, assistant: { name: string, kind: AssistantKind, config: Record<string, unknown>, createdBy: string }):
Promise<StoredAssistant> {
  return await db.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: string }>(
      'INSERT INTO assistant (name, kind, created_by) VALUES ($1, $2, $3) RETURNING id',
      [assistant.name, assistant.kind, assistant.createdBy])
    const id = rows[0]!.id
    await tx.query(
      'INSERT INTO assistant_version (assistant_id, version, name, config, created_by) VALUES ($1, 1, $2, $3, $4)',
      [id, assistant.name, assistant.config, assistant.createdBy])
    return (await latest(tx, id))!
  })
}

/**
 * A change: a new version with the given name and settings, which becomes the assistant's latest. The versions
 * before it stay as they were. Undefined when there is no such assistant, or it is archived.
 */
export async function reviseAssistant (db: Database, id: string, change: { name: string, config: Record<string, unknown>, createdBy: string }):
Promise<StoredAssistant | undefined> {
  return await db.transaction(async (tx) => {
    const { rows } = await tx.query<{ version: number }>(
      `UPDATE assistant SET version = version + 1, name = $2, updated_at = now()
       WHERE id = $1 AND archived_at IS NULL RETURNING version`, [id, change.name])
    if (rows.length === 0) return undefined
    await tx.query(
      'INSERT INTO assistant_version (assistant_id, version, name, config, created_by) VALUES ($1, $2, $3, $4, $5)',
      [id, rows[0]!.version, change.name, change.config, change.createdBy])
    return await latest(tx, id)
  })
}

/** Archives an assistant (it is offered to no new campaign; its versions stay readable). False when there is none to archive. */
export async function archiveAssistant (db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query(
    'UPDATE assistant SET archived_at = now(), updated_at = now() WHERE id = $1 AND archived_at IS NULL', [id])
  return rowCount > 0
}

/** An assistant at its latest version, archived or not. */
export async function getAssistant (db: Queryable, id: string): Promise<StoredAssistant | undefined> {
  return await latest(db, id)
}

/** The assistants not archived, newest first. */
export async function listAssistants (db: Queryable, query: { limit: number, offset: number }): Promise<StoredAssistant[]> {
  const { rows } = await db.query<StoredAssistant>(
    `${LATEST} WHERE assistant.archived_at IS NULL ORDER BY assistant.created_at DESC, assistant.id LIMIT $1 OFFSET $2`,
    [query.limit, query.offset])
  return rows
}

/** Every version of an assistant, newest first; empty when there is no such assistant. */
export async function assistantVersions (db: Queryable, id: string): Promise<AssistantVersion[]> {
  const { rows } = await db.query<AssistantVersion>(
    `SELECT version, name, config, created_by, created_at FROM assistant_version
     WHERE assistant_id = $1 ORDER BY version DESC`, [id])
  return rows
}

async function latest (db: Queryable, id: string): Promise<StoredAssistant | undefined> {
  const { rows } = await db.query<StoredAssistant>(`${LATEST} WHERE assistant.id = $1`, [id])
  return rows[0]
}
