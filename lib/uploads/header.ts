import { UploadError } from './upload-error.js'

/** The names a phone column goes by, in every file we take (customers, the do-not-call list). */
export const PHONE_HEADERS = ['phone', 'phone_number', 'mobile', 'mobile_number', 'number', 'contact_number']

const MAX_COLUMNS = 100

/** Where each known field is in a row, and the header of every other column. */
export interface Header<Field extends string> {
  fields: Partial<Record<Field, number>>
  attributes: Array<[index: number, header: string]>
}

/**
 * A file's header row: cells matched case-insensitively (spaces, dashes and dots read as underscores) against each
 * field's names, the first match winning; every other column kept by its header (repeats numbered). A file with no
 * phone column is refused, naming the headers it has.
 */
export function readHeader<Field extends string> (cells: string[], names: Record<Field | 'phone', string[]>): Header<Field | 'phone'> {
  if (cells.length > MAX_COLUMNS) throw new UploadError(400, `The file has ${cells.length} columns; at most ${MAX_COLUMNS} are read`)
  const fieldOf = new Map(Object.entries<string[]>(names).flatMap(([field, aliases]) => aliases.map((alias) => [alias, field as Field | 'phone'])))
  const fields: Header<Field | 'phone'>['fields'] = {}
  const attributes: Header<Field>['attributes'] = []
  const seen = new Set<string>()
  cells.forEach((cell, index) => {
    const header = cell.trim()
    if (header === '') return
    const field = fieldOf.get(header.toLowerCase().replace(/[\s.-]+/g, '_'))
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
    throw new UploadError(400, `No phone column: name one of ${names.phone.join(', ')}. ` +
      `Columns found: ${found.slice(0, 10).join(', ')}${more}`)
  }
  return { fields, attributes }
}
