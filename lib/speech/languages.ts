/**
 * The languages the embedded speech engine (eSpeak NG) speaks, by the code a customer file's `language` column and
 * an assistant's texts use, with the engine's voice for each and the word for rupees in that language.
 */
export const LANGUAGES = {
  en: { name: 'English', voice: 'en', rupees: 'rupees', paise: 'paise', and: 'and' },
  hi: { name: 'Hindi', voice: 'hi', rupees: 'रुपये', paise: 'पैसे', and: '' },
  bn: { name: 'Bengali', voice: 'bn', rupees: 'টাকা', paise: 'পয়সা', and: '' },
  ta: { name: 'Tamil', voice: 'ta', rupees: 'ரூபாய்', paise: 'பைசா', and: '' },
  te: { name: 'Telugu', voice: 'te', rupees: 'రూపాయలు', paise: 'పైసలు', and: '' },
  kn: { name: 'Kannada', voice: 'kn', rupees: 'ರೂಪಾಯಿ', paise: 'ಪೈಸೆ', and: '' },
  ml: { name: 'Malayalam', voice: 'ml', rupees: 'രൂപ', paise: 'പൈസ', and: '' },
  mr: { name: 'Marathi', voice: 'mr', rupees: 'रुपये', paise: 'पैसे', and: '' },
  gu: { name: 'Gujarati', voice: 'gu', rupees: 'રૂપિયા', paise: 'પૈસા', and: '' },
  pa: { name: 'Punjabi', voice: 'pa', rupees: 'ਰੁਪਏ', paise: 'ਪੈਸੇ', and: '' },
  ur: { name: 'Urdu', voice: 'ur', rupees: 'روپے', paise: 'پیسے', and: '' },
  or: { name: 'Odia', voice: 'or', rupees: 'ଟଙ୍କା', paise: 'ପଇସା', and: '' },
  as: { name: 'Assamese', voice: 'as', rupees: 'টকা', paise: 'পইচা', and: '' },
  ne: { name: 'Nepali', voice: 'ne', rupees: 'रुपैयाँ', paise: 'पैसा', and: '' }
} as const

export type Language = keyof typeof LANGUAGES

export function isLanguage (code: string): code is Language {
  return Object.hasOwn(LANGUAGES, code)
}

/** A customer file's language cell (`hi`, `HI`, `Hindi`, `hi-IN`) as one of ours, if it is one. */
export function languageOf (cell: string | null | undefined): Language | undefined {
  if (!cell) return undefined
  const value = cell.trim().toLowerCase()
  const code = value.split(/[-_]/)[0]!
  if (isLanguage(code)) return code
  return (Object.keys(LANGUAGES) as Language[]).find((language) => LANGUAGES[language].name.toLowerCase() === value)
}
