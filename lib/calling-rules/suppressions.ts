import type { Static } from '@sinclair/typebox'
import type { Suppression as SuppressionSchema } from '../../schemas/suppressions.js'
import type { Database, Queryable } from '../db/database.js'
import { PHONE_HEADERS, readHeader } from '../uploads/header.js'
import { UploadError } from '../uploads/upload-error.js'
import type { OpenedFile } from '../uploads/file-reader.js'
import type { PhoneResult } from './phone.js'

/** A number never to call, as stored and as the API answers it. */
export type Suppression = Static<typeof SuppressionSchema>

export interface SuppressionsAdded {
  /** Numbers newly on the list. */
  added: number
  /** Numbers that were on it already (their reason is kept). */
  already: number
}

const CHUNK = 5000

/** Adds numbers (E.164) to the list; a number already there keeps its first reason. */
export async function addSuppressions (db: Queryable, phones: string[], reason: string | null, createdBy: string):
Promise<SuppressionsAdded> {
  const unique = [...new Set(phones)]
  let added = 0
  for (let start = 0; start < unique.length; start += CHUNK) {
    const { rowCount } = await db.query(
      `INSERT INTO suppression (phone, reason, created_by) SELECT phone, $2, $3 FROM unnest($1::text[]) AS phone
       ON CONFLICT (phone) DO NOTHING`, [unique.slice(start, start + CHUNK), reason, createdBy]
    )
    added += rowCount
  }
  return { added, already: phones.length - added }
}

/** Takes a number off the list; false when it was not on it. */
export async function removeSuppression (db: Queryable, phone: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM suppression WHERE phone = $1', [phone])
  return rowCount > 0
}

/** The list, newest first; `search` matches part of a number. */
export async function listSuppressions (db: Queryable, query: { limit: number, offset: number, search?: string }):
Promise<{ suppressions: Suppression[], total: number }> {
  const params: unknown[] = []
  const where = query.search ? `WHERE phone LIKE $${params.push(`%${query.search.replace(/[\\%_]/g, '\\$&')}%`)}` : ''
  const { rows: counted } = await db.query<{ total: number }>(`SELECT count(*)::int AS total FROM suppression ${where}`, params)
  const { rows } = await db.query<Suppression>(
    `SELECT phone, reason, created_by, created_at FROM suppression ${where} ORDER BY created_at DESC, phone
     LIMIT $${params.push(query.limit)} OFFSET $${params.push(query.offset)}`, params
  )
  return { suppressions: rows, total: counted[0]!.total }
}

export interface SuppressionImport extends SuppressionsAdded {
  /** Rows with a number. */
  total: number
  rejected: number
  /** The first rejected rows, as a spreadsheet numbers them. */
  rejectedRows: Array<{ row: number, reason: string }>
}

/**
 * Adds every number of a CSV or .xlsx file (a phone column, as the customer file's; an optional `reason` column),
 * all in one transaction: a file that cannot be read adds nothing. Rows with an invalid number are reported.
 */
export async function importSuppressions (db: Database, options: {
  file: OpenedFile
  createdBy: string
  normalisePhone: (raw: string) => PhoneResult
}): Promise<SuppressionImport> {
  const report: SuppressionImport = { total: 0, added: 0, already: 0, rejected: 0, rejectedRows: [] }
  const byReason = new Map<string | null, string[]>()
  let phoneAt: number | undefined
  let reasonAt: number | undefined
  for await (const { number, cells } of options.file.rows) {
    if (cells.every((cell) => cell.trim() === '')) continue
    if (phoneAt === undefined) {
      const columns = readHeader(cells, { phone: PHONE_HEADERS, reason: ['reason'] })
      phoneAt = columns.fields.phone!
      reasonAt = columns.fields.reason
      continue
    }
    report.total++
    const cell = (index: number) => (cells[index] ?? '').trim()
    const phone = options.normalisePhone(cell(phoneAt))
    if ('error' in phone) {
      report.rejected++
      if (report.rejectedRows.length < 100) report.rejectedRows.push({ row: number, reason: phone.error })
      continue
    }
    const reason = reasonAt === undefined ? null : cell(reasonAt).slice(0, 200) || null
    const phones = byReason.get(reason) ?? []
    phones.push(phone.phone)
    byReason.set(reason, phones)
  }
  if (phoneAt === undefined) throw new UploadError(400, 'The file is empty')
  await db.transaction(async (tx) => {
    for (const [reason, phones] of byReason) {
      const { added } = await addSuppressions(tx, phones, reason, options.createdBy)
      report.added += added
    }
  })
  report.already = report.total - report.rejected - report.added
  return report
}
