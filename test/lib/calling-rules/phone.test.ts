import t from 'tap'
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/min'
import { phoneNormaliser } from '../../../lib/calling-rules/phone.js'

/** What the library alone makes of a number, as the normaliser read every number before its shortcut. */
function library (text: string, region: string) {
  const parsed = parsePhoneNumberFromString(text.startsWith('00') ? `+${text.slice(2)}` : text, region as CountryCode)
  return parsed?.isValid() ? { phone: parsed.number } : { error: 'phone is not a valid number' }
}

t.test('an Indian mobile written plainly is read as the library reads it, for every four-digit prefix from 6000', async (t) => {
  const regions = ['IN', 'US']
  const normalisers = new Map(regions.map((region) => [region, phoneNormaliser(region)]))
  let differences = 0
  let checked = 0
  // Every prefix the shortcut reads, and a spread of those below it, which it leaves to the library.
  for (let prefix = 1000; prefix <= 9999; prefix += prefix < 6000 ? 37 : 1) {
    for (const rest of ['000000', '987654']) {
      const digits = `${prefix}${rest}`
      for (const text of [digits, `+91${digits}`, `91${digits}`, `0${digits}`, `0091${digits}`]) {
        for (const region of regions) {
          checked++
          const expected = library(text, region)
          const actual = normalisers.get(region)!(text)
          if (JSON.stringify(actual) !== JSON.stringify(expected) && differences++ < 5) {
            t.fail(`${text} (${region}): ${JSON.stringify(actual)}, the library says ${JSON.stringify(expected)}`)
          }
        }
      }
    }
  }
  t.equal(differences, 0, `the same answer as the library for ${checked} numbers`)
  t.same(phoneNormaliser('IN')('9812345678'), { phone: '+919812345678' })
  t.same(phoneNormaliser('US')('9812345678'), { error: 'phone is not a valid number' }, 'not an Indian number elsewhere')
  t.same(phoneNormaliser('US')('+919812345678'), { phone: '+919812345678' }, 'but with +91 anywhere')
})

t.test('what is not a number, or not a valid one, is refused, saying why', async (t) => {
  const normalise = phoneNormaliser('IN')
  t.same(normalise('  '), { error: 'phone is empty' })
  t.same(normalise('98123 4567x'), { error: 'phone has characters a phone number does not' })
  t.same(normalise('12345'), { error: 'phone is not a valid number' })
  t.same(normalise('+91 98123-45678'), { phone: '+919812345678' }, 'spaces and dashes: the library reads it')
  t.same(normalise('0044 20 7946 0958'), { phone: '+442079460958' }, '00 before a country code')
})
