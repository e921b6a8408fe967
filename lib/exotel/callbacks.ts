import type { CallStatus } from '../calls/calls.js'

/**
 * Exotel's StatusCallback and Passthru requests, read as tolerantly as real senders need (docs/exotel.md
 * sections 2 and 3): form fields flattened (`Legs[0][Status]`) or JSON arrays, numbers as strings, `"null"` as
 * a string, `CallStatus` / `Duration` / `DialCallDuration` as fallbacks, `digits` wrapped in quotes.
 */
export type Fields = Record<string, unknown>

export interface StatusCallback {
  sid: string
  eventType: 'answered' | 'terminal'
  status: CallStatus
  customField?: string
  durationSeconds?: number
  recordingUrl?: string
  answeredBy?: string
}

export interface Passthru {
  sid: string
  status?: CallStatus
  customField?: string
  digits?: string
  stream?: Record<string, string>
  /** After a Connect applet (the hand-off to an agent): how that dial ended (completed: an agent talked), and its seconds. */
  dial?: { status: string, seconds?: number }
}

const STATUSES: Record<string, CallStatus> = {
  queued: 'initiated',
  ringing: 'ringing',
  'in-progress': 'in-progress',
  completed: 'completed',
  busy: 'busy',
  'no-answer': 'no-answer',
  failed: 'failed',
  canceled: 'canceled',
  cancelled: 'canceled'
}

/** The value of a field as text, or undefined when absent, empty or the text "null". */
function text (fields: Fields, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = fields[name]
    if (value === undefined || value === null) continue
    const string = String(value).trim()
    if (string !== '' && string.toLowerCase() !== 'null') return string
  }
  return undefined
}

function seconds (fields: Fields, ...names: string[]): number | undefined {
  const value = text(fields, ...names)
  const number = value === undefined ? NaN : Number(value)
  return Number.isFinite(number) && number >= 0 ? Math.round(number) : undefined
}

/** The first leg of `Legs`, whether it came as a JSON array or as flattened form fields. */
function firstLeg (fields: Fields): Fields {
  const legs = fields.Legs
  if (Array.isArray(legs) && typeof legs[0] === 'object' && legs[0] !== null) return legs[0] as Fields
  const leg: Fields = {}
  for (const [key, value] of Object.entries(fields)) {
    const match = /^Legs\[0\]\[(\w+)\]$/.exec(key)
    if (match) leg[match[1]!] = value
  }
  return leg
}

/** A StatusCallback, or the reason it is not one. */
export function readStatusCallback (fields: Fields): StatusCallback | { error: string } {
  const sid = text(fields, 'CallSid')
  if (!sid) return { error: 'CallSid is missing' }
  const leg = firstLeg(fields)
  const raw = (text(fields, 'Status', 'CallStatus') ?? text(leg, 'Status'))?.toLowerCase()
  const eventType = text(fields, 'EventType')?.toLowerCase() === 'answered' ? 'answered' : 'terminal'
  const status = eventType === 'answered' ? 'in-progress' : raw === undefined ? undefined : STATUSES[raw]
  if (!status) return { error: raw === undefined ? 'Status is missing' : `Status "${raw}" is not one Exotel sends` }
  const answeredBy = text(leg, 'AnsweredBy', 'answeredBy') ?? text(fields, 'AnsweredBy')
  return {
    sid,
    eventType,
    status,
    customField: text(fields, 'CustomField'),
    durationSeconds: seconds(fields, 'ConversationDuration', 'Duration', 'DialCallDuration') ?? seconds(leg, 'OnCallDuration'),
    recordingUrl: text(fields, 'RecordingUrl'),
    answeredBy: answeredBy && answeredBy.toLowerCase() !== 'na' ? answeredBy.toLowerCase() : undefined
  }
}

/** A Passthru request's query, or the reason it is not one. */
export function readPassthru (query: Fields): Passthru | { error: string } {
  const sid = text(query, 'CallSid')
  if (!sid) return { error: 'CallSid is missing' }
  const raw = text(query, 'CallStatus')?.toLowerCase()
  const digits = text(query, 'digits')?.replace(/^"(.*)"$/, '$1')
  const dialStatus = text(query, 'DialCallStatus')?.toLowerCase()
  return {
    sid,
    status: raw === undefined ? undefined : STATUSES[raw],
    customField: text(query, 'CustomField'),
    digits: digits || undefined,
    stream: readStream(query),
    dial: dialStatus ? { status: dialStatus, seconds: seconds(query, 'DialCallDuration') } : undefined
  }
}

export interface StreamPassthru {
  sid: string
  /** stream-start or stream-stop. */
  eventType: string
  streamSid?: string
  direction?: string
}

/**
 * The JSON that Exotel's newer Passthru applet for streams POSTs: `CallSid`, `StreamSid`, `StreamUrl`, `EventType`
 * (`stream-start` / `stream-stop`), `From`, `To`, `Direction`. `StreamUrl` carries our media token and `From` and
 * `To` are phone numbers: none of them is kept.
 */
export function readStreamPassthru (fields: Fields): StreamPassthru | { error: string } {
  const sid = text(fields, 'CallSid')
  if (!sid) return { error: 'CallSid is missing' }
  const eventType = text(fields, 'EventType')?.toLowerCase()
  if (!eventType) return { error: 'EventType is missing' }
  return { sid, eventType, streamSid: text(fields, 'StreamSid'), direction: text(fields, 'Direction') }
}

/** Voicebot stream details: `Stream[Status]`-style fields, or one JSON string in `Stream`. */
function readStream (query: Fields): Record<string, string> | undefined {
  const stream: Record<string, string> = {}
  const json = text(query, 'Stream')
  if (json) {
    try {
      const parsed = JSON.parse(json) as unknown
      if (typeof parsed === 'object' && parsed !== null) {
        for (const [key, value] of Object.entries(parsed)) stream[key] = String(value)
      }
    } catch {
      // not JSON: ignored, as a deprecated field would be
    }
  }
  for (const [key, value] of Object.entries(query)) {
    const match = /^Stream\[(\w+)\]$/.exec(key)
    if (match) stream[match[1]!] = String(value)
  }
  return Object.keys(stream).length > 0 ? stream : undefined
}
