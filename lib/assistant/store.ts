import type { AssistantConfig } from '../../schemas/assistants.js'
import type { Database, Queryable } from '../db/database.js'
import { handsOff } from './settings.js'

/** The two kinds of voice assistant: recorded or synthesized prompts driven by the keypad, or OpenAI Realtime. */
export type AssistantKind = 'scripted' | 'openai'

/** An assistant at its latest version. */
export interface StoredAssistant {
  id: string
  name: string
  kind: AssistantKind
  version: number
  /** The latest version's settings, as its kind's schema describes them. */
  config: AssistantConfig
  /** Used by calls and campaigns that name no assistant: one at most. */
  default: boolean
  created_by: string
  created_at: Date
  updated_at: Date
  archived_at: Date | null
}

/** One version, as it was saved: never changed afterwards. */
export interface AssistantVersion {
  version: number
  name: string
  config: AssistantConfig
  created_by: string
  created_at: Date
}

const LATEST = `SELECT assistant.id, assistant.name, assistant.kind, assistant.version, assistant_version.config,
  assistant.is_default AS default, assistant.created_by, assistant.created_at, assistant.updated_at, assistant.archived_at
  FROM assistant JOIN assistant_version
    ON assistant_version.assistant_id = assistant.id AND assistant_version.version = assistant.version`

/** A new assistant, at version 1. */
export async function createAssistant (db: Database, assistant: NewAssistant): Promise<StoredAssistant> {
  return await db.transaction(async (tx) => await insertAssistant(tx, assistant))
}

export interface NewAssistant { name: string, kind: AssistantKind, config: object, createdBy: string, makeDefault?: boolean }

/** createAssistant's work, inside a transaction the caller holds. */
export async function insertAssistant (tx: Queryable, assistant: NewAssistant): Promise<StoredAssistant> {
  if (assistant.makeDefault) await tx.query('UPDATE assistant SET is_default = false WHERE is_default')
  const { rows } = await tx.query<{ id: string }>(
    'INSERT INTO assistant (name, kind, created_by, is_default) VALUES ($1, $2, $3, $4) RETURNING id',
    [assistant.name, assistant.kind, assistant.createdBy, assistant.makeDefault ?? false])
  const id = rows[0]!.id
  await tx.query(
    'INSERT INTO assistant_version (assistant_id, version, name, config, created_by) VALUES ($1, 1, $2, $3, $4)',
    [id, assistant.name, assistant.config, assistant.createdBy])
  return (await latest(tx, id))!
}

/**
 * A change: a new version with the given name and settings, which becomes the assistant's latest. The versions
 * before it stay as they were. Undefined when there is no such assistant, or it is archived.
 */
export async function reviseAssistant (db: Database, id: string,
  change: { name: string, config: object, createdBy: string, makeDefault?: boolean }):
  Promise<StoredAssistant | undefined> {
  return await db.transaction(async (tx) => {
    if (change.makeDefault) await tx.query('UPDATE assistant SET is_default = false WHERE is_default AND id <> $1', [id])
    const { rows } = await tx.query<{ version: number }>(
      `UPDATE assistant SET version = version + 1, name = $2, updated_at = now(), is_default = is_default OR $3
       WHERE id = $1 AND archived_at IS NULL RETURNING version`, [id, change.name, change.makeDefault ?? false])
    if (rows.length === 0) return undefined
    await tx.query(
      'INSERT INTO assistant_version (assistant_id, version, name, config, created_by) VALUES ($1, $2, $3, $4, $5)',
      [id, rows[0]!.version, change.name, change.config, change.createdBy])
    return await latest(tx, id)
  })
}

/**
 * Archives an assistant (it is offered to no new campaign; its versions stay readable). False when there is none
 * to archive. The default assistant is not archived: another must be made the default first.
 */
export async function archiveAssistant (db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query(
    'UPDATE assistant SET archived_at = now(), updated_at = now() WHERE id = $1 AND archived_at IS NULL AND NOT is_default', [id])
  return rowCount > 0
}

/** The assistant used by calls that name none, if there is one. */
export async function defaultAssistant (db: Queryable): Promise<StoredAssistant | undefined> {
  const { rows } = await db.query<StoredAssistant>(`${LATEST} WHERE assistant.is_default`)
  return rows[0]
}

/** One version of an assistant, with its kind: what a call that pinned it runs. */
export async function assistantAt (db: Queryable, id: string, version: number):
Promise<{ id: string, kind: AssistantKind, version: number, name: string, config: AssistantConfig } | undefined> {
  const { rows } = await db.query<{ id: string, kind: AssistantKind, version: number, name: string, config: AssistantConfig }>(
    `SELECT assistant.id, assistant.kind, assistant_version.version, assistant_version.name, assistant_version.config
     FROM assistant JOIN assistant_version ON assistant_version.assistant_id = assistant.id
     WHERE assistant.id = $1 AND assistant_version.version = $2`, [id, version])
  return rows[0]
}

/** How many assistants are not archived. */
export async function countAssistants (db: Queryable): Promise<number> {
  const { rows } = await db.query<{ count: number }>('SELECT count(*)::int AS count FROM assistant WHERE archived_at IS NULL')
  return rows[0]!.count
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

/** An assistant that may not start calls, with the HTTP status it answers. */
export class AssistantRefusedError extends Error {
  constructor (readonly statusCode: 404 | 409, message: string) {
    super(message)
  }
}

/** Why an assistant that hands calls to a person cannot call the stream way. */
export const HANDOFF_NEEDS_FLOW = 'hands calls to a person, which needs the flow way (EXOTEL_CALL_MODE=flow): ' +
  'in the stream way Exotel cannot transfer a call'

/**
 * The assistant version new calls pin: the named assistant's latest (not archived), else the default's.
 * Undefined when none is named and there is no default. Placed the stream way, an assistant that hands calls to a
 * person is refused (409).
 */
export async function pinAssistant (db: Queryable, id: string | undefined, callMode: 'stream' | 'flow' = 'flow'):
Promise<{ id: string, version: number } | undefined> {
  const { rows } = await db.query<{ id: string, version: number, name: string, archived: boolean, config: AssistantConfig }>(
    `SELECT assistant.id, assistant_version.version, assistant_version.name, archived_at IS NOT NULL AS archived, assistant_version.config
     FROM assistant JOIN assistant_version ON assistant_version.assistant_id = assistant.id AND assistant_version.version = assistant.version
     WHERE ${id === undefined ? 'assistant.is_default' : 'assistant.id = $1'}`, id === undefined ? [] : [id])
  const found = rows[0]
  if (!found) {
    if (id === undefined) return undefined
    throw new AssistantRefusedError(404, 'Assistant not found')
  }
  if (found.archived) throw new AssistantRefusedError(409, 'This assistant is archived: choose another')
  if (callMode === 'stream' && handsOff(found.config)) throw new AssistantRefusedError(409, `The assistant '${found.name}' ${HANDOFF_NEEDS_FLOW}`)
  return { id: found.id, version: found.version }
}
