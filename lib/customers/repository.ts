import type { Static } from '@sinclair/typebox'
import type { Customer as CustomerSchema, Upload as UploadSchema } from '../../schemas/customers.js'
import type { Queryable } from '../db/database.js'

/** A customer, as stored and as the API answers it (schemas/customers.ts). */
export type Customer = Static<typeof CustomerSchema>

export interface CustomerQuery {
  limit: number
  offset: number
  /** Resume after the last customer of a previous page (its `next_cursor`); takes the place of `offset`. */
  cursor?: string
  /** Part of a name, a customer id or a phone number. */
  search?: string
  /** The status of the customer's last call; `none` for customers never called. */
  status?: string
  /** The upload that last wrote the customer. */
  upload_id?: string
  /** What came of the customer's latest call with a conversation outcome; `none`: no outcome ever recorded. */
  last_outcome?: string
}

export type CustomerFilter = Pick<CustomerQuery, 'search' | 'status' | 'upload_id' | 'last_outcome'>

export interface CustomerPage {
  customers: Customer[]
  total: number
  nextCursor: string | null
}

const COLUMNS = `id, name, phone, email, language, attributes, last_call_status, last_call_at, upload_id, created_at,
  updated_at, edited_fields`

const encodeCursor = (seq: number) => Buffer.from(`seq:${seq}`).toString('base64url')
function decodeCursor (cursor: string): number | undefined {
  const match = /^seq:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString())
  return match ? Number(match[1]) : undefined
}

export class InvalidCursorError extends Error {
  readonly statusCode = 400
  constructor () {
    super('cursor is not one this server gave')
  }
}

/** The WHERE clause (or nothing) selecting customers by search text, last call status and upload; adds to `params`. */
export function customerFilter (query: CustomerFilter, params: unknown[]): string {
  const where: string[] = []
  const param = (value: unknown) => `$${params.push(value)}`
  if (query.search) {
    const text = `%${query.search.replace(/[\\%_]/g, '\\$&')}%`
    const digits = query.search.replace(/\D/g, '')
    const byPhone = digits.length >= 3 ? ` OR phone LIKE ${param(`%${digits}%`)}` : ''
    where.push(`(name ILIKE ${param(text)} OR id ILIKE ${param(text)}${byPhone})`)
  }
  if (query.status === 'none') where.push('last_call_status IS NULL')
  else if (query.status) where.push(`last_call_status = ${param(query.status)}`)
  if (query.upload_id) where.push(`upload_id = ${param(query.upload_id)}`)
  if (query.last_outcome) {
    const latest = `(SELECT conversation.outcome FROM call JOIN call_conversation conversation ON conversation.call_id = call.id
      WHERE call.customer_id = customer.id AND conversation.outcome IS NOT NULL ORDER BY call.created_at DESC LIMIT 1)`
    where.push(query.last_outcome === 'none' ? `${latest} IS NULL` : `${latest} = ${param(query.last_outcome)}`)
  }
  return where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''
}

/** Customers in the order they were first uploaded, filtered; `total` counts every match, not just this page. */
export async function listCustomers (db: Queryable, query: CustomerQuery): Promise<CustomerPage> {
  const params: unknown[] = []
  const param = (value: unknown) => `$${params.push(value)}`
  const filter = customerFilter(query, params)
  const { rows: counted } = await db.query<{ total: number }>(`SELECT count(*) AS total FROM customer ${filter}`, params)

  let page = filter
  let offset = query.offset
  if (query.cursor !== undefined) {
    const after = decodeCursor(query.cursor)
    if (after === undefined) throw new InvalidCursorError()
    page = `${filter ? `${filter} AND` : 'WHERE'} seq > ${param(after)}`
    offset = 0
  }
  const { rows } = await db.query<Customer & { seq: number }>(
    `SELECT seq, ${COLUMNS} FROM customer ${page} ORDER BY seq LIMIT ${param(query.limit + 1)} OFFSET ${param(offset)}`,
    params
  )
  const more = rows.length > query.limit
  const customers = rows.slice(0, query.limit)
  return {
    customers,
    total: counted[0]!.total,
    nextCursor: more ? encodeCursor(customers.at(-1)!.seq) : null
  }
}

export async function getCustomer (db: Queryable, id: string): Promise<Customer | undefined> {
  const { rows } = await db.query<Customer>(`SELECT ${COLUMNS} FROM customer WHERE id = $1`, [id])
  return rows[0]
}

/** The names of these customers, in one query (unknown ids are left out). */
export async function customerNames (db: Queryable, ids: string[]): Promise<Map<string, string | null>> {
  const { rows } = await db.query<{ id: string, name: string | null }>('SELECT id, name FROM customer WHERE id = ANY($1::text[])', [ids])
  return new Map(rows.map((row) => [row.id, row.name]))
}

/** A change an operator makes to a customer: the fields given are set (an attribute set to null is removed). */
export interface CustomerEdit {
  name?: string | null
  phone?: string
  email?: string | null
  language?: string | null
  attributes?: Record<string, string | null>
}

/**
 * Edits a customer. Each field changed is remembered as edited, so that a later upload leaves it as the operator
 * left it. Undefined when there is no such customer.
 */
export async function editCustomer (db: Queryable, id: string, edit: CustomerEdit): Promise<Customer | undefined> {
  const fields = [
    ...(['name', 'phone', 'email', 'language'] as const).filter((field) => edit[field] !== undefined),
    ...Object.keys(edit.attributes ?? {}).map((header) => `attributes.${header}`)
  ]
  const attributes = edit.attributes ?? {}
  const set = Object.fromEntries(Object.entries(attributes).filter(([, value]) => value !== null))
  const removed = Object.keys(attributes).filter((header) => attributes[header] === null)
  const { rows } = await db.query<Customer>(
    `UPDATE customer SET
       name = CASE WHEN 'name' = ANY ($2::text[]) THEN $3 ELSE name END,
       phone = CASE WHEN 'phone' = ANY ($2::text[]) THEN $4 ELSE phone END,
       email = CASE WHEN 'email' = ANY ($2::text[]) THEN $5 ELSE email END,
       language = CASE WHEN 'language' = ANY ($2::text[]) THEN $6 ELSE language END,
       attributes = (attributes || $7::jsonb) - $8::text[],
       edited_fields = ARRAY(SELECT DISTINCT unnest(edited_fields || $2::text[]) ORDER BY 1),
       updated_at = now()
     WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, fields, edit.name ?? null, edit.phone ?? null, edit.email ?? null, edit.language ?? null, JSON.stringify(set), removed])
  return rows[0]
}

/** An upload of a customer file, as stored and as the API answers it. */
export type Upload = Static<typeof UploadSchema>

/** Uploads, newest first. */
export async function listUploads (db: Queryable, limit: number, offset: number) {
  const { rows: counted } = await db.query<{ total: number }>('SELECT count(*) AS total FROM customer_upload')
  const { rows } = await db.query<Upload>(
    `SELECT id, user_sub, file_name, format, status, total, inserted, updated, rejected, error, created_at, finished_at
     FROM customer_upload ORDER BY created_at DESC, id LIMIT $1 OFFSET $2`, [limit, offset]
  )
  return { uploads: rows, total: counted[0]!.total }
}
