import t from 'tap'
import { languageOf, LANGUAGES } from '../../../lib/speech/languages.js'
import { SpeechEngine, SpeechError } from '../../../lib/speech/engine.js'
import { phrases, Speech } from '../../../lib/speech/speech.js'
import { loudness } from '../../../lib/voice/audio.js'

const pcm8k = { encoding: 'pcm16', sampleRate: 8000 } as const

t.test('every language we offer is spoken: speech of a sentence\'s length, not silence', async (t) => {
  const speech = new Speech()
  t.teardown(() => speech.close())
  const samples: Record<string, string> = {
    en: 'Your payment of 1200 rupees is due.',
    hi: 'आपका 1200 रुपये का भुगतान बाकी है।',
    bn: 'আপনার 1200 টাকা বাকি আছে।',
    ta: 'உங்கள் 1200 ரூபாய் நிலுவையில் உள்ளது.',
    te: 'మీ 1200 రూపాయలు బాకీ ఉన్నాయి.',
    kn: 'ನಿಮ್ಮ 1200 ರೂಪಾಯಿ ಬಾಕಿ ಇದೆ.',
    ml: 'നിങ്ങളുടെ 1200 രൂപ കുടിശ്ശികയാണ്.',
    mr: 'तुमचे 1200 रुपये बाकी आहेत.',
    gu: 'તમારા 1200 રૂપિયા બાકી છે.',
    pa: 'ਤੁਹਾਡੇ 1200 ਰੁਪਏ ਬਕਾਇਆ ਹਨ।',
    ur: 'آپ کے 1200 روپے باقی ہیں۔',
    or: 'ଆପଣଙ୍କ 1200 ଟଙ୍କା ବାକି ଅଛି।',
    as: 'আপোনাৰ 1200 টকা বাকী আছে।',
    ne: 'तपाईंको 1200 रुपैयाँ बाँकी छ।'
  }
  t.same(Object.keys(samples).sort(), Object.keys(LANGUAGES).sort())
  for (const [language, text] of Object.entries(samples)) {
    const audio = await speech.phrase(text, { language: language as keyof typeof LANGUAGES, gender: 'female', rate: 150 }, pcm8k)
    const seconds = audio.length / 16000
    t.ok(seconds > 0.8 && seconds < 8, `${language}: ${seconds.toFixed(2)} s`)
    t.ok(loudness(audio, pcm8k) > 300, `${language}: not silence`)
  }
})

t.test('phrases are kept, in each format, the least recently used let go past the budget', async (t) => {
  const speech = new Speech(40_000) // bytes: two short phrases at 8 kHz
  t.teardown(() => speech.close())
  const voice = { language: 'en', gender: 'male', rate: 175 } as const
  const first = await speech.phrase('One.', voice, pcm8k)
  t.equal(await speech.phrase('One.', voice, pcm8k), first, 'the same audio, kept')
  const mulaw = await speech.phrase('One.', voice, { encoding: 'mulaw', sampleRate: 8000 })
  t.ok(Math.abs(mulaw.length * 2 - first.length) <= 4, 'another format is another entry, the same speech')
  await speech.phrase('Two.', voice, pcm8k)
  await speech.phrase('Three: a longer phrase than the others.', voice, pcm8k)
  t.not(await speech.phrase('One.', voice, pcm8k), first, 'let go, and made again')
  const huge = await speech.phrase('This sentence is far too long to be kept in a budget this small, so it is said and not kept.', voice, pcm8k)
  t.not(await speech.phrase('This sentence is far too long to be kept in a budget this small, so it is said and not kept.', voice, pcm8k), huge)
  const parts: number[] = []
  for await (const audio of speech.say('Hello there. How are you? Fine, thanks!', voice, pcm8k)) parts.push(audio.length)
  t.equal(parts.length, 4, 'one piece a phrase')
})

t.test('a phrase asked for again while it is being made is made once; an urgent ask does not wait behind one made ahead', async (t) => {
  const speech = new Speech()
  t.teardown(() => speech.close())
  const voice = { language: 'en', gender: 'female', rate: 150 } as const
  await speech.warmUp()
  const together = await Promise.all([1, 2, 3].map(() => speech.phrase('To confirm your payment,', voice, pcm8k, true)))
  t.ok(together[1] === together[0] && together[2] === together[0], 'three calls at once: one audio, made once')
  const later = await Promise.all([1, 2].map(() => speech.phrase('press 1.', voice, pcm8k)))
  t.ok(later[1] === later[0], 'made ahead twice at once: once')

  // Made ahead while the engine is busy, then asked for by a call: the call's ask is made ahead of the queue.
  const busy = speech.phrase('A long phrase that keeps the engine busy for a while, said by nobody in particular', voice, pcm8k)
  const ahead = speech.phrase('To be called back later,', voice, pcm8k)
  const now = await speech.phrase('To be called back later,', voice, pcm8k, true)
  const [made] = await Promise.all([ahead, busy])
  t.not(made, now, 'made twice: the call did not wait for the one made ahead')
  t.equal(made.length, now.length, 'the same speech')
  t.equal(await speech.phrase('To be called back later,', voice, pcm8k), made, 'the last made is the one kept')
})

t.test('the engine: one worker, started once; a voice it lacks is an error; a closed engine refuses', async (t) => {
  const engine = new SpeechEngine()
  t.teardown(() => engine.close())
  await t.rejects(engine.synthesize('Hello', 'xx-unknown', 175), new SpeechError('no voice xx-unknown'))
  const { pcm, sampleRate } = await engine.synthesize('Hello', 'en', 175)
  t.equal(sampleRate, 22050)
  t.ok(pcm.length > 22050 * 0.2)
  const waiting = engine.synthesize('A request the close cuts short, in the engine when it is closed.', 'en', 175)
  await engine.close()
  await t.rejects(waiting, new SpeechError('the speech engine stopped'), 'what was waiting is refused')
  await t.rejects(engine.synthesize('Again', 'en', 175), new SpeechError('the speech engine is closed'))
  await engine.close()
  const missing = new SpeechEngine('/nonexistent/espeak')
  await t.rejects(missing.synthesize('Hello', 'en', 175), { message: /^the speech engine did not start: / })
  await t.rejects(missing.warmUp(), { message: /^the speech engine did not start: / }, 'a warm-up of a broken engine fails')
  await missing.close()
})

t.test('a close while the engine loads refuses what waits for it, and ends its warm-up quietly', async (t) => {
  const engine = new SpeechEngine()
  const waiting = engine.synthesize('Hello', 'en', 175)
  const warmUp = engine.warmUp()
  await new Promise((resolve) => setImmediate(resolve)) // the worker has started, eSpeak is not loaded yet
  await engine.close()
  await t.rejects(waiting, new SpeechError('the speech engine stopped'), 'refused, not left waiting for ever')
  t.equal(await warmUp, false, 'a warm-up cut short by a close is no failure: it says it was not done')
  t.equal(await engine.warmUp(), false, 'nor is one asked for after it')
})

t.test('a close while the engine warms up, once loaded, ends the warm-up quietly', async (t) => {
  const engine = new SpeechEngine()
  const warmUp = engine.warmUp()
  // Urgent, so ahead of the warm-up's sentences after the first: when it is said, three are still to come.
  await engine.synthesize('Hello', 'en', 175, true)
  await engine.close()
  t.equal(await warmUp, false)
})

t.test('texts are cut into phrases at full stops, question and exclamation marks, the danda, the Urdu full stop, commas, semicolons and colons', async (t) => {
  t.same(phrases('Hello Asha, you owe 1200 rupees. आपके 1200 रुपये बाकी हैं। کیا آپ؟ سن رہے ہیں، جی۔ Press 1! Note: and; so'),
    ['Hello Asha,', 'you owe 1200 rupees.', 'आपके 1200 रुपये बाकी हैं।', 'کیا آپ؟ سن رہے ہیں،', 'جی۔', 'Press 1!', 'Note:', 'and;', 'so'])
  t.same(phrases('  '), [])
  t.same(phrases(''), [])
})

t.test('an urgent phrase (a call\'s first words) goes ahead of those waiting', async (t) => {
  const engine = new SpeechEngine()
  t.teardown(() => engine.close())
  await engine.warmUp()
  const done: string[] = []
  const said = (text: string, urgent: boolean) => engine.synthesize(text, 'en', 175, urgent).then(() => { done.push(text) })
  await Promise.all([said('The first of many words waiting.', false), said('Second, waiting.', false), said('Third, waiting.', false), said('Hello Asha.', true)])
  t.equal(done.indexOf('Hello Asha.'), 1, 'after the one already in the engine, before the others')
})

t.test('a customer file\'s language cell, read as one of ours', async (t) => {
  t.equal(languageOf('hi'), 'hi')
  t.equal(languageOf(' HI-in '), 'hi')
  t.equal(languageOf('Hindi'), 'hi')
  t.equal(languageOf('tamil'), 'ta')
  t.equal(languageOf('fr'), undefined)
  t.equal(languageOf(''), undefined)
  t.equal(languageOf(null), undefined)
})
