import { callerOf, streamCaller } from './caller.js'
import type { Scheduler } from './scheduler.js'

export interface SimulatedCall {
  sid: string
  from: string
  callerId: string
  customField: string
  statusCallback: string
  events: string[]
  contentType: string
  record: boolean
  /** The stream way: the WebSocket URL the call goes straight to when answered (no flow, no Passthru). */
  streamUrl?: string
  status: 'in-progress' | 'completed' | 'busy' | 'no-answer' | 'failed'
  /** What the voice assistant sent on the media stream; `misnumbered`: frames whose numbers did not count up as Exotel's do. */
  bot: { audioBytes: number, marks: string[], clears: number, misnumbered: number }
  /** What the simulated caller did on the media stream. */
  caller: { digits: string[], spokeMs: number }
  /** The flow's Connect applet, after a hand-off: the number it rang, and whether an agent answered. */
  agent?: { number: string, answered: boolean }
  startTime: Date
  answerTime?: Date
  endTime?: Date
}

/** What a call's life needs to know of the simulator's settings. */
export interface LifeOptions {
  accountSid: string
  passthruUrl: () => string
  voicebotUrl?: () => string
  /** The Connect applet's "Dial whom" URL, for hand-offs (the flow way). */
  agentUrl?: () => string
  ringMs: number
  talkMs: number
  loseCallbacks: number
  realtime: boolean
}

const OUTCOMES: Record<string, SimulatedCall['status']> = { 1: 'busy', 2: 'no-answer', 3: 'failed' }

/** Exotel's time format: `YYYY-MM-DD HH:mm:ss` in India Standard Time. */
export function exotelTime (date: Date): string {
  return new Date(date.getTime() + 5.5 * 3600_000).toISOString().slice(0, 19).replace('T', ' ')
}

export function conversationSeconds (call: SimulatedCall): number {
  return call.answerTime && call.endTime ? Math.round((call.endTime.getTime() - call.answerTime.getTime()) / 1000) : 0
}

/**
 * A call's life, by the last digit of the number dialled: 1 busy, 2 no-answer, 3 failed after ringing; anything
 * else answered (the answered StatusCallback, then the stream way's media stream, or the flow's Passthru GET and,
 * with a Voicebot URL, its media stream), then completed after `talkMs` or when the stream ends.
 */
export function playCall (call: SimulatedCall, options: LifeOptions, scheduler: Scheduler): void {
  const outcome = OUTCOMES[call.from.at(-1)!]
  if (outcome) {
    scheduler.later(options.ringMs, async () => {
      call.status = outcome
      call.endTime = new Date()
      await statusCallback(call, 'terminal', options, scheduler)
    })
    return
  }
  scheduler.later(options.ringMs, async () => {
    call.answerTime = new Date()
    await statusCallback(call, 'answered', options, scheduler)
    const streams = call.streamUrl !== undefined || options.voicebotUrl !== undefined
    if (call.streamUrl) {
      await streamCaller(call, { streamUrl: call.streamUrl }, options, scheduler)
    } else {
      await passthru(call, options, scheduler)
      if (options.voicebotUrl) {
        await streamCaller(call, { endpoint: options.voicebotUrl() }, options, scheduler)
        await afterTheBot(call, options, scheduler)
      }
    }
    scheduler.later(streams ? 0 : options.talkMs, async () => {
      call.status = 'completed'
      call.endTime = new Date()
      await statusCallback(call, 'terminal', options, scheduler)
    })
  })
}

/** Exotel's StatusCallback, in its field names: JSON when the call asked for it, multipart form data by default. */
async function statusCallback (call: SimulatedCall, eventType: 'answered' | 'terminal', options: LifeOptions, scheduler: Scheduler) {
  if (!call.events.includes(eventType)) return
  if (eventType === 'terminal' && Math.random() < options.loseCallbacks) return
  const fields: Record<string, string> = {
    CallSid: call.sid,
    EventType: eventType,
    Status: eventType === 'answered' ? 'in-progress' : call.status,
    DateCreated: exotelTime(call.startTime),
    DateUpdated: exotelTime(new Date()),
    To: call.callerId,
    From: call.from,
    PhoneNumberSid: call.callerId,
    StartTime: exotelTime(call.startTime),
    EndTime: call.endTime ? exotelTime(call.endTime) : '',
    ConversationDuration: String(conversationSeconds(call)),
    Direction: 'outbound-api',
    CustomField: call.customField,
    RecordingUrl: call.record && call.status === 'completed'
      ? `https://recordings.exotel.com/exotelrecordings/simulated/${call.sid}.mp3`
      : ''
  }
  const leg = {
    OnCallDuration: String(conversationSeconds(call)),
    Status: eventType === 'answered' ? 'in-progress' : call.status,
    // Exotel tells a machine only where the account has detection: the simulator leaves machines to the audio.
    AnsweredBy: call.answerTime ? callerOf(call.from).machine ? 'NotSure' : 'Human' : 'NA'
  }
  if (call.contentType === 'application/json') {
    return await scheduler.deliver(call.statusCallback, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...fields, Legs: [leg] })
    })
  }
  const form = new FormData()
  for (const [key, value] of Object.entries(fields)) form.set(key, value)
  for (const [key, value] of Object.entries(leg)) form.set(`Legs[0][${key}]`, value)
  return await scheduler.deliver(call.statusCallback, { method: 'POST', body: form })
}

/**
 * The flow after the Voicebot applet: a Passthru with the stream's details, whose 200 goes on to hang up, and whose
 * 302 goes on to the Connect applet (the hand-off: it asks the "Dial whom" URL for the agents' number and rings it;
 * then a Passthru with how that dial ended).
 */
async function afterTheBot (call: SimulatedCall, options: LifeOptions, scheduler: Scheduler) {
  const branch = await passthru(call, options, scheduler, { 'Stream[Status]': 'completed', 'Stream[DisconnectedBy]': 'bot' })
  if (branch?.status !== 302 || !options.agentUrl) return
  const url = options.agentUrl()
  const whom = await scheduler.deliver(url, { method: 'GET' })
  if (!whom) return // (a request that failed is reported by the scheduler)
  const number = (await whom.text()).trim()
  // No number to ring: the Connect applet cannot dial, and the flow ends the call.
  if (!whom.ok || number === '') return scheduler.reportError(url, new Error(`Dial whom answered ${whom.status} ${JSON.stringify(number.slice(0, 80))}`))
  const answered = !callerOf(call.from).agentAway
  call.agent = { number, answered }
  await passthru(call, options, scheduler, {
    DialCallStatus: answered ? 'completed' : 'no-answer',
    DialWhomNumber: number,
    DialCallDuration: answered ? '30' : '0',
    CallType: answered ? 'completed' : 'incomplete'
  })
}

/** The flow's Passthru applet: a GET to our URL with the call's details in Exotel's query parameters (and `more`). */
async function passthru (call: SimulatedCall, options: LifeOptions, scheduler: Scheduler, more: Record<string, string> = {}) {
  const url = new URL(options.passthruUrl())
  const query = {
    CallSid: call.sid,
    CallFrom: call.from,
    CallTo: call.callerId,
    Direction: 'outbound-api',
    Created: exotelTime(call.startTime),
    StartTime: exotelTime(call.startTime),
    EndTime: '1970-01-01 05:30:00', // Exotel's placeholder while the call goes on
    CallType: 'call-attempt',
    CallStatus: 'in-progress',
    DialWhomNumber: '',
    CustomField: call.customField,
    flow_id: '100001',
    tenant_id: '1',
    digits: ''
  }
  for (const [key, value] of Object.entries({ ...query, ...more })) url.searchParams.set(key, value)
  return await scheduler.deliver(url.toString(), { method: 'GET', redirect: 'manual' })
}

/** A call as Exotel's Call Details API (and the connect answer) describes it. */
export function callJson (call: SimulatedCall, accountSid: string) {
  return {
    Sid: call.sid,
    ParentCallSid: null,
    DateCreated: exotelTime(call.startTime),
    DateUpdated: exotelTime(new Date()),
    AccountSid: accountSid,
    To: call.from,
    From: call.callerId,
    PhoneNumberSid: call.callerId,
    Status: call.status,
    StartTime: exotelTime(call.startTime),
    EndTime: call.endTime ? exotelTime(call.endTime) : null,
    Duration: call.endTime ? String(conversationSeconds(call)) : null,
    Price: null,
    Direction: 'outbound-api',
    AnsweredBy: null,
    ForwardedFrom: null,
    CallerName: null,
    Uri: `/v1/Accounts/${accountSid}/Calls/${call.sid}.json`,
    RecordingUrl: null
  }
}
