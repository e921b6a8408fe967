import { LANGUAGES, type Language } from '../speech/languages.js'

/**
 * An assistant's text with the customer's details in it: `{{ name }}`, `{{ amount_due | rupees }}`,
 * `{{ due_date | date }}`, `{{ name | default: "there" }}`. A field is a customer's own (name, first_name,
 * phone_last4, customer_id, language, and `details`: every uploaded column as "header: value") or a column of
 * their uploaded file, written as readHeader matches headers: any case,
 * spaces, dashes and dots read as underscores ("Amount Due" is `amount_due`).
 */
export type Part = string | { field: string, format?: 'rupees' | 'date', fallback?: string }

export class TemplateError extends Error {}

/** The fields every customer has, whatever file they came from. */
export const CUSTOMER_FIELDS = ['name', 'first_name', 'phone_last4', 'customer_id', 'language', 'details']

const FIELD = /^[a-z0-9_]{1,64}$/
const FILTER = /^(rupees|date|default:\s*"([^"{}]{0,200})")$/

/** A header or a field name as templates write it. */
export function fieldName (header: string): string {
  return header.trim().toLowerCase().replace(/[\s.-]+/g, '_')
}

export function parseTemplate (text: string): Part[] {
  const parts: Part[] = []
  let at = 0
  for (;;) {
    const open = text.indexOf('{{', at)
    const close = text.indexOf('}}', at)
    if (open === -1) {
      if (close !== -1) throw new TemplateError(`"}}" with no "{{" before it, at character ${close + 1}`)
      if (at < text.length) parts.push(text.slice(at))
      return parts
    }
    if (close !== -1 && close < open) throw new TemplateError(`"}}" with no "{{" before it, at character ${close + 1}`)
    const end = text.indexOf('}}', open + 2)
    if (end === -1) throw new TemplateError(`"{{" at character ${open + 1} is not closed with "}}"`)
    if (open > at) parts.push(text.slice(at, open))
    parts.push(parsePlaceholder(text.slice(open + 2, end).trim(), open + 1))
    at = end + 2
  }
}

function parsePlaceholder (inside: string, position: number): Part {
  const [name, ...filters] = inside.split('|').map((piece) => piece.trim())
  if (!name || !FIELD.test(name)) {
    throw new TemplateError(`"{{${inside}}}" at character ${position}: a field is written in lower case, digits and underscores`)
  }
  const part: Exclude<Part, string> = { field: name }
  for (const filter of filters) {
    const match = FILTER.exec(filter)
    if (!match) throw new TemplateError(`"{{${inside}}}" at character ${position}: unknown filter "${filter}" (rupees, date, default: "...")`)
    if (match[2] !== undefined) part.fallback = match[2]
    else part.format = match[1] as 'rupees' | 'date'
  }
  return part
}

/** The fields a template names. */
export function templateFields (parts: Part[]): string[] {
  return parts.flatMap((part) => typeof part === 'string' ? [] : [part.field])
}

/** What a customer's template may use: their own details, and their file's columns by field name. */
export interface TemplateValues {
  name: string | null
  language?: string | null
  phone: string
  id: string
  attributes: Record<string, unknown>
}

export function valuesOf (customer: TemplateValues): Map<string, string> {
  const values = new Map<string, string>()
  for (const [header, value] of Object.entries(customer.attributes)) {
    if (value !== null && value !== undefined && String(value).trim() !== '') values.set(fieldName(header), String(value).trim())
  }
  if (customer.name) {
    values.set('name', customer.name)
    values.set('first_name', customer.name.trim().split(/\s+/)[0]!)
  }
  values.set('phone_last4', customer.phone.slice(-4))
  values.set('customer_id', customer.id)
  const details = Object.entries(customer.attributes).filter(([, value]) => value !== null && value !== undefined && String(value).trim() !== '')
  if (details.length > 0) values.set('details', details.map(([header, value]) => `${header}: ${String(value)}`).join(', '))
  if (customer.language) values.set('language', customer.language)
  return values
}

/** The text for one customer, and the fields they had no value for (spoken as their fallback, or left out). */
export function renderTemplate (parts: Part[], values: Map<string, string>, language: Language): { text: string, missing: string[] } {
  const missing: string[] = []
  const text = parts.map((part) => {
    if (typeof part === 'string') return part
    const value = values.get(part.field)
    const spoken = value === undefined ? undefined : part.format ? spokenAs(part.format, value, language) : value
    if (spoken === undefined) {
      missing.push(part.field)
      return part.fallback ?? ''
    }
    return spoken
  }).join('')
  return { text: text.replace(/[ \t]{2,}/g, ' ').replace(/ ([,.!?।])/g, '$1'), missing }
}

/** A value as people say it: an amount in rupees (and paise), a date as day and month. Undefined when it is neither. */
export function spokenAs (format: 'rupees' | 'date', value: string, language: Language): string | undefined {
  return format === 'rupees' ? spokenRupees(value, language) : spokenDate(value, language)
}

function spokenRupees (value: string, language: Language): string | undefined {
  const number = /^(?:₹|rs\.?|inr)?\s*([0-9][0-9,]*)(?:\.([0-9]{1,2}))?\s*(?:₹|rs\.?|inr|\/-)?$/i.exec(value.trim())
  if (!number) return undefined
  const rupees = Number(number[1]!.replace(/,/g, ''))
  const paise = number[2] ? Number(number[2].padEnd(2, '0')) : 0
  const words = LANGUAGES[language]
  // Digits without separators: the engine reads them as a number in the voice's language.
  const spoken = `${rupees} ${words.rupees}`
  return paise === 0 ? spoken : `${spoken} ${words.and ? `${words.and} ` : ''}${paise} ${words.paise}`
}

function spokenDate (value: string, language: Language): string | undefined {
  const iso = /^(\d{4})-(\d{2})-(\d{2})/.exec(value.trim())
  const indian = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(value.trim()) // day first, as India writes it
  const [year, month, day] = iso
    ? [Number(iso[1]), Number(iso[2]), Number(iso[3])]
    : indian ? [Number(indian[3]), Number(indian[2]), Number(indian[1])] : []
  if (year === undefined) return undefined
  const date = new Date(Date.UTC(year, month! - 1, day))
  if (date.getUTCMonth() !== month! - 1 || date.getUTCDate() !== day) return undefined
  return new Intl.DateTimeFormat(`${language}-IN-u-nu-latn`, { day: 'numeric', month: 'long', timeZone: 'UTC' }).format(date)
}
