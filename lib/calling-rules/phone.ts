import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/min'

export type PhoneResult = { phone: string } | { error: string }

/**
 * Phone numbers as written in customer files (spaces, dashes, brackets, a trunk 0, 00 or + before the country
 * code, a country code without +) to E.164, or the reason it is not a callable number. A number without a country
 * code is read as one of `region`'s. Nothing is guessed: an invalid number is refused.
 */
export function phoneNormaliser (region: string): (raw: string) => PhoneResult {
  const country = region as CountryCode
  return (raw) => {
    const text = raw.trim()
    if (text === '') return { error: 'phone is empty' }
    if (!/^[+\d\s().\-/]+$/.test(text)) return { error: 'phone has characters a phone number does not' }
    const parsed = parsePhoneNumberFromString(text.startsWith('00') ? `+${text.slice(2)}` : text, country)
    if (!parsed?.isValid()) return { error: 'phone is not a valid number' }
    return { phone: parsed.number }
  }
}
