import { CustomerFileError } from './customer-file.js'
import type { PhoneResult } from './phone.js'

/** A customer read from one row, before it is stored. */
export interface CustomerRow {
  customerId?: string
  name?: string
  phone: string
  email?: string
  language?: string
  /** Every other column, by its header: what the voice assistant may use (amount due, due date, ...). */
  attributes: Record<string, string>
}

type Field = 'customerId' | 'name' | 'firstName' | 'lastName' | 'phone' | 'email' | 'language'

const ALIASES: Record<Field, string[]> = {
  customerId: ['customer_id', 'id', 'customer_no', 'customer_number'],
  name: ['name', 'customer_name', 'full_name'],
  firstName: ['first_name', 'firstname', 'given_name'],
  lastName: ['last_name', 'lastname', 'surname', 'family_name'],
  phone: ['phone', 'phone_number', 'mobile', 'mobile_number', 'number', 'contact_number'],
  email: ['email', 'email_address', 'e_mail'],
  language: ['language', 'lang', 'preferred_language']
}
const FIELD_OF = new Map(Object.entries(ALIASES).flatMap(([field, names]) => names.map((name) => [name, field as Field])))

const MAX_COLUMNS = 100
const MAX_CELL = 2000
const MAX_ID = 100
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

/** Where each known field is in a row, and the header of every other column. */
export interface Columns {
  fields: Partial<Record<Field, number>>
  attributes: Array<[index: number, header: string]>
}

/** Header cells matched case-insensitively (spaces, dashes and dots read as underscores) against known names. */
export function readHeader (cells: string[]): Columns {
  if (cells.length > MAX_COLUMNS) throw new CustomerFileError(400, `The file has ${cells.length} columns; at most ${MAX_COLUMNS} are read`)
  const fields: Columns['fields'] = {}
  const attributes: Columns['attributes'] = []
  const seen = new Set<string>()
  cells.forEach((cell, index) => {
    const header = cell.trim()
    if (header === '') return
    const field = FIELD_OF.get(header.toLowerCase().replace(/[\s.-]+/g, '_'))
    if (field && fields[field] === undefined) {
      fields[field] = index
      return
    }
    let key = header
    for (let n = 2; seen.has(key); n++) key = `${header}_${n}`
    seen.add(key)
    attributes.push([index, key])
  })
  if (fields.phone === undefined) {
    // The headers found, each and all cut short: a message (and the log line it makes) never repeats a file.
    const found = cells.map((cell) => cell.trim()).filter(Boolean)
      .map((header) => header.length > 40 ? `${header.slice(0, 40)}...` : header)
    const more = found.length > 10 ? ` and ${found.length - 10} more` : ''
    throw new CustomerFileError(400, `No phone column: name one of ${ALIASES.phone.join(', ')}. ` +
      `Columns found: ${found.slice(0, 10).join(', ')}${more}`)
  }
  return { fields, attributes }
}

/** One row as a customer, or why it cannot be one. */
export function readCustomer (columns: Columns, cells: string[], normalisePhone: (raw: string) => PhoneResult):
CustomerRow | { reason: string } {
  for (const cell of cells) {
    if (cell.length > MAX_CELL) return { reason: `a cell is longer than ${MAX_CELL} characters` }
    if (cell.includes('\u0000')) return { reason: 'a cell holds a NUL character' }
  }
  const { fields } = columns
  const cell = (index: number | undefined) => index === undefined ? '' : (cells[index] ?? '').trim()

  const phone = normalisePhone(cell(fields.phone))
  if ('error' in phone) return { reason: phone.error }
  const customerId = cell(fields.customerId)
  if (customerId.length > MAX_ID) return { reason: `customer_id is longer than ${MAX_ID} characters` }
  const email = cell(fields.email)
  if (email !== '' && !EMAIL.test(email)) return { reason: 'email is not a valid address' }
  const name = cell(fields.name) || [cell(fields.firstName), cell(fields.lastName)].filter(Boolean).join(' ')

  const attributes: Record<string, string> = {}
  for (const [index, header] of columns.attributes) attributes[header] = cell(index)
  return {
    customerId: customerId || undefined,
    name: name || undefined,
    phone: phone.phone,
    email: email || undefined,
    language: cell(fields.language) || undefined,
    attributes
  }
}
