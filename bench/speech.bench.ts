// Offline speech: the real-time factor of synthesis per language (time to synthesize / length of the speech made;
// goal <= 0.1), through the engine's worker as calls use it, on sentences never said before (nothing cached).
import { LANGUAGES, type Language } from '../lib/speech/languages.js'
import { Speech } from '../lib/speech/speech.js'

const SENTENCES = Number(process.env.BENCH_SENTENCES ?? 20)
const SAMPLE: Record<Language, string> = {
  en: 'Hello customer NUMBER, your payment of 1200 rupees is due on 5 December.',
  hi: 'नमस्ते ग्राहक NUMBER, आपके 1200 रुपये 5 दिसंबर तक बाकी हैं।',
  bn: 'নমস্কার গ্রাহক NUMBER, আপনার 1200 টাকা 5 ডিসেম্বরের মধ্যে বাকি।',
  ta: 'வணக்கம் வாடிக்கையாளர் NUMBER, உங்கள் 1200 ரூபாய் டிசம்பர் 5 க்குள் செலுத்த வேண்டும்.',
  te: 'నమస్కారం కస్టమర్ NUMBER, మీ 1200 రూపాయలు డిసెంబర్ 5 లోపు చెల్లించాలి.',
  kn: 'ನಮಸ್ಕಾರ ಗ್ರಾಹಕ NUMBER, ನಿಮ್ಮ 1200 ರೂಪಾಯಿ ಡಿಸೆಂಬರ್ 5 ರೊಳಗೆ ಬಾಕಿ ಇದೆ.',
  ml: 'നമസ്കാരം ഉപഭോക്താവ് NUMBER, നിങ്ങളുടെ 1200 രൂപ ഡിസംബർ 5 നകം അടയ്ക്കണം.',
  mr: 'नमस्कार ग्राहक NUMBER, तुमचे 1200 रुपये 5 डिसेंबरपर्यंत बाकी आहेत.',
  gu: 'નમસ્તે ગ્રાહક NUMBER, તમારા 1200 રૂપિયા 5 ડિસેમ્બર સુધી બાકી છે.',
  pa: 'ਸਤ ਸ੍ਰੀ ਅਕਾਲ ਗਾਹਕ NUMBER, ਤੁਹਾਡੇ 1200 ਰੁਪਏ 5 ਦਸੰਬਰ ਤੱਕ ਬਕਾਇਆ ਹਨ।',
  ur: 'السلام علیکم گاہک NUMBER، آپ کے 1200 روپے 5 دسمبر تک باقی ہیں۔',
  or: 'ନମସ୍କାର ଗ୍ରାହକ NUMBER, ଆପଣଙ୍କ 1200 ଟଙ୍କା 5 ଡିସେମ୍ବର ସୁଦ୍ଧା ବାକି ଅଛି।',
  as: 'নমস্কাৰ গ্ৰাহক NUMBER, আপোনাৰ 1200 টকা 5 ডিচেম্বৰৰ ভিতৰত বাকী আছে।',
  ne: 'नमस्ते ग्राहक NUMBER, तपाईंको 1200 रुपैयाँ 5 डिसेम्बरसम्म बाँकी छ।'
}

const speech = new Speech()
const format = { encoding: 'pcm16', sampleRate: 8000 } as const
await speech.phrase('Warm up.', { language: 'en', gender: 'female', rate: 150 }, format)
console.log(`\noffline speech: ${SENTENCES} new sentences a language, synthesized in the worker and converted to 8 kHz`)
console.log('language'.padEnd(10), 'speech s'.padStart(9), 'took ms'.padStart(8), 'RTF'.padStart(7), 'first ms'.padStart(9))
let worst = 0
for (const language of Object.keys(LANGUAGES) as Language[]) {
  const voice = { language, gender: 'female', rate: 150 } as const
  let seconds = 0
  let first = 0
  const started = performance.now()
  for (let i = 0; i < SENTENCES; i++) {
    const at = performance.now()
    const audio = await speech.phrase(SAMPLE[language].replace('NUMBER', String(1000 + i)), voice, format)
    if (i === 0) first = performance.now() - at
    seconds += audio.length / 16000
  }
  const took = performance.now() - started
  worst = Math.max(worst, took / 1000 / seconds)
  console.log(language.padEnd(10), seconds.toFixed(1).padStart(9), took.toFixed(0).padStart(8), (took / 1000 / seconds).toFixed(3).padStart(7), first.toFixed(1).padStart(9))
}
console.log(`worst real-time factor: ${worst.toFixed(3)} (goal <= 0.1)`)
await speech.close()
