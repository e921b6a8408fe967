// A labelled set of call openings made here, offline: people's short openings, voicemail greetings with their
// beep, network messages (with and without the network's three tones before them), IVR menus and dead air, each
// spoken by the embedded speech engine (English and Hindi voices, female and male, two speeds) at 8 kHz, with a
// random start and line noise (hiss and mains hum). Deterministic: the same seed gives the same set.
import { SpeechEngine } from '../lib/speech/engine.js'
import { resample } from '../lib/voice/audio.js'

export type Label = 'human' | 'machine' | 'notsure'
export interface Sample { name: string, label: Label, pcm: Buffer }

const RATE = 8000

const PEOPLE: Array<[string, string]> = [
  ['en', 'Hello?'], ['en', 'Hello, yes?'], ['en', 'Yes, who is this?'], ['en', 'Hello, hello?'], ['en', 'Hi, tell me.'],
  ['en', 'Yeah?'], ['hi', 'हेलो?'], ['hi', 'हाँ जी?'], ['hi', 'जी, बोलिए।'], ['hi', 'हेलो, कौन?'], ['hi', 'हाँ, बोलो।']
]
const VOICEMAILS: Array<[string, string]> = [
  ['en', 'Hi, you have reached Priya. I cannot take your call right now. Please leave a message after the tone.'],
  ['en', 'The person you are calling is not available. Please record your message after the beep.'],
  ['hi', 'आप जिस व्यक्ति को कॉल कर रहे हैं वह अभी उपलब्ध नहीं है। कृपया बीप के बाद अपना संदेश रिकॉर्ड करें।']
]
const NETWORK: Array<[string, string]> = [
  ['en', 'The number you are trying to reach is currently switched off. Please try again later.'],
  ['en', 'All lines in this route are busy. Please try after some time.'],
  ['hi', 'आप जिस नंबर पर कॉल कर रहे हैं वह अभी बंद है। कृपया कुछ समय बाद प्रयास करें।']
]
const IVRS: Array<[string, string]> = [
  ['en', 'Welcome to Sharma Traders. For sales, press one. For support, press two.'],
  ['en', 'Thank you for calling. Your call is important to us. Please stay on the line.'],
  ['hi', 'शर्मा ट्रेडर्स में आपका स्वागत है। बिक्री के लिए एक दबाएँ।']
]

/** A small deterministic random source (mulberry32). */
function random (seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const silence = (ms: number) => new Float64Array(RATE * ms / 1000)

function tone (hz: number, ms: number, amplitude = 8000): Float64Array {
  return Float64Array.from({ length: RATE * ms / 1000 }, (_, i) => amplitude * Math.sin(2 * Math.PI * hz * i / RATE))
}

/** The special information tones a network plays before its message: 913.8, 1370.6, 1776.7 Hz. */
const SIT = () => [tone(913.8, 330), tone(1370.6, 330), tone(1776.7, 380), silence(300)]

function join (parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((sum, part) => sum + part.length, 0))
  let at = 0
  for (const part of parts) { out.set(part, at); at += part.length }
  return out
}

/** Line noise: hiss of about `hiss` RMS and a little mains hum, added to the samples; then 16-bit PCM. */
function onTheLine (samples: Float64Array, next: () => number, hiss: number): Buffer {
  const pcm = Buffer.alloc(samples.length * 2)
  for (let i = 0; i < samples.length; i++) {
    const noise = (next() + next() + next() - 1.5) * 2 * hiss + 60 * Math.sin(2 * Math.PI * 50 * i / RATE)
    pcm.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(samples[i]! + noise))), i * 2)
  }
  return pcm
}

export async function answerSet (seed = 1): Promise<Sample[]> {
  const engine = new SpeechEngine()
  const next = random(seed)
  const voices = [['', 150], ['+f3', 150], ['', 185], ['+f3', 185]] as const
  const speak = async (language: string, text: string, variant: string, rate: number) => {
    const { pcm, sampleRate } = await engine.synthesize(text, language + variant, rate)
    const at8k = resample(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength), sampleRate, RATE)
    return Float64Array.from({ length: at8k.length / 2 }, (_, i) => at8k.readInt16LE(i * 2) * 1.5)
  }
  const start = () => silence(Math.round(200 + next() * 800))
  const samples: Sample[] = []
  for (const [variant, rate] of voices) {
    for (const [language, text] of PEOPLE) {
      // A person says hello, then listens (the assistant talks): quiet, some say it again a moment later.
      const again = next() < 0.3 ? [silence(1000), await speak(language, text, variant, rate)] : []
      samples.push({ name: `person ${language}${variant} ${rate}: ${text}`, label: 'human', pcm: onTheLine(join([start(), await speak(language, text, variant, rate), silence(1500), ...again, silence(2000)]), next, 150) })
    }
    for (const [language, text] of VOICEMAILS) {
      const beep = tone([1000, 1400, 850][Math.floor(next() * 3)]!, 400 + Math.round(next() * 400))
      samples.push({ name: `voicemail ${language}${variant} ${rate}: ${text.slice(0, 30)}`, label: 'machine', pcm: onTheLine(join([start(), await speak(language, text, variant, rate), silence(500), beep, silence(2000)]), next, 150) })
    }
    for (const [language, text] of NETWORK) {
      const tones = next() < 0.5 ? SIT() : []
      samples.push({ name: `network ${tones.length ? 'tones+' : ''}${language}${variant} ${rate}: ${text.slice(0, 30)}`, label: 'machine', pcm: onTheLine(join([start(), ...tones, await speak(language, text, variant, rate), silence(1000)]), next, 150) })
    }
    for (const [language, text] of IVRS) {
      samples.push({ name: `ivr ${language}${variant} ${rate}: ${text.slice(0, 30)}`, label: 'machine', pcm: onTheLine(join([start(), await speak(language, text, variant, rate), silence(2000)]), next, 150) })
    }
  }
  for (let i = 0; i < 8; i++) samples.push({ name: `dead air ${i}`, label: 'notsure', pcm: onTheLine(silence(5000), next, 100 + 100 * next()) })
  return samples
}
