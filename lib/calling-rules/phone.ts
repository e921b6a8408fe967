import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/min'

export type PhoneResult = { phone: string } | { error: string }

/**
 * An Indian mobile number written plainly, the shape most customer files hold: ten digits from 6-9, perhaps after
 * +91 (or, read as an Indian number, 91 or a trunk 0). Every such number is valid, and the library reads it as
 * +91 and the ten digits (test/lib/calling-rules/phone.test.ts checks each shape over every four-digit prefix), so
 * it is read here without the library: an import of 100 000 rows spent more time parsing phones than on any
 * other step of its own.
 */
const INDIAN_MOBILE = /^\+91([6-9]\d{9})$/
const INDIAN_MOBILE_AT_HOME = /^(?:\+?91|0)?([6-9]\d{9})$/

/**
 * Phone numbers as written in customer files (spaces, dashes, brackets, a trunk 0, 00 or + before the country
 * code, a country code without +) to E.164, or the reason it is not a callable number. A number without a country
 * code is read as one of `region`'s. Nothing is guessed: an invalid number is refused.
 */
export function phoneNormaliser (region: string): (raw: string) => PhoneResult {
  const country = region as CountryCode
  const indianMobile = region === 'IN' ? INDIAN_MOBILE_AT_HOME : INDIAN_MOBILE
  return (raw) => {
    const text = raw.trim()
    const mobile = indianMobile.exec(text)
    if (mobile) return { phone: `+91${mobile[1]!}` }
    if (text === '') return { error: 'phone is empty' }
    if (!/^[+\d\s().\-/]+$/.test(text)) return { error: 'phone has characters a phone number does not' }
    const parsed = parsePhoneNumberFromString(text.startsWith('00') ? `+${text.slice(2)}` : text, country)
    if (!parsed?.isValid()) return { error: 'phone is not a valid number' }
    return { phone: parsed.number }
  }
}
