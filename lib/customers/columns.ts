import type { PhoneResult } from '../calling-rules/phone.js'
import { PHONE_HEADERS, readHeader, type Header } from '../uploads/header.js'

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
  phone: PHONE_HEADERS,
  email: ['email', 'email_address', 'e_mail'],
  language: ['language', 'lang', 'preferred_language']
}

const MAX_CELL = 2000
const MAX_ID = 100
/** What an email address looks like, for a file's cell and an edit alike. */
export const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

/** Where each known field is in a row, and the header of every other column. */
export type Columns = Header<Field>

/** A customer file's header row (see readHeader). */
export function readCustomerHeader (cells: string[]): Columns {
  return readHeader(cells, ALIASES)
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
