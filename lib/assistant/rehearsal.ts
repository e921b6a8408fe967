import { once } from 'node:events'
import WebSocket, { WebSocketServer } from 'ws'
import type { AssistantConfig, ScriptedConfig } from '../../schemas/assistants.js'
import type { ConversationChange } from '../calls/conversation.js'
import { exotelMediaStream } from '../exotel/media-stream.js'
import type { SimulatedCall } from '../exotel/simulator/call-life.js'
import { SimulatedCaller, type CallerBehaviour } from '../exotel/simulator/caller.js'
import { Scheduler } from '../exotel/simulator/scheduler.js'
import type { CallStore, StreamRecorder } from '../live-call/call-store.js'
import { MediaSession } from '../live-call/session.js'
import type { Assistant, CallContext } from './assistant.js'
import type { AssistantKind } from './store.js'

/** The callers every rehearsal meets. */
export const REHEARSAL_CALLERS = ['confirms', 'asks-callback', 'talks-over', 'stays-silent', 'wrong-key'] as const
export type RehearsalCaller = typeof REHEARSAL_CALLERS[number]

/** A rehearsal runs this much faster than a call: the caller's audio, playback, and the waits for a key. */
export const REHEARSAL_SPEEDUP = 10
/** The longest a rehearsed caller stays on, in call time. */
const TALK_MS = 120_000
const RATE = 8000

export interface RehearsalResult {
  caller: RehearsalCaller
  /** What this caller does, in words. */
  does: string
  outcome: string | null
  outcome_detail: Record<string, unknown> | null
  dtmf: string
  barge_ins: number
  transcript: Array<{ speaker: 'assistant' | 'caller', text: string }>
  /** The assistant's notes for the call's timeline: a language it lacked, a field with no value. */
  notes: Array<Record<string, unknown>>
  /** Seconds of the assistant's audio the caller received. */
  assistant_audio_seconds: number
  stop_reason: string | null
  problem: string | null
}

/** Who presses what: the keys of the assistant's choices that confirm and that ask for a callback, and one that is none. */
export function rehearsalCallers (kind: AssistantKind, config: AssistantConfig): Record<RehearsalCaller, CallerBehaviour & { does: string }> {
  let confirm = '1'
  let callback = '2'
  let wrong = '9'
  if (kind === 'scripted') {
    const { choices, outcomes } = config as ScriptedConfig
    const outcome = (name: string) => outcomes.find((declared) => declared.name === name)
    confirm = (choices.find((choice) => outcome(choice.outcome)?.final) ?? choices[0]!).key
    callback = (choices.find((choice) => outcome(choice.outcome)?.follow_up) ?? choices.at(-1)!).key
    wrong = [...'0123456789*#'].find((key) => !choices.some((choice) => choice.key === key))!
  }
  return {
    confirms: { digit: confirm, does: `listens, then presses ${confirm}` },
    'asks-callback': { digit: callback, does: `listens, then presses ${callback}` },
    'talks-over': { digit: confirm, speaks: true, does: `talks over the greeting, then presses ${confirm}` },
    'stays-silent': { does: 'listens and never answers' },
    'wrong-key': { digit: wrong, does: `presses ${wrong}, which is not a choice, then nothing` }
  }
}

/**
 * Runs an assistant through the real live-call path (the media session, paced playback, Exotel's wire format over
 * a real WebSocket on loopback) against the simulator's callers, each on a stream of its own, all at once. Nobody
 * is dialled and nothing is stored: the calls live in memory. Answers what each caller heard and did.
 */
export async function rehearse (assistant: Assistant, callers: Record<RehearsalCaller, CallerBehaviour & { does: string }>,
  customer: CallContext['customer']): Promise<RehearsalResult[]> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  const scheduler = new Scheduler()
  const results = new Map<string, RehearsalResult>()
  const settled: Array<Promise<void>> = []
  server.on('connection', (socket, request) => {
    const result = results.get(new URL(request.url!, 'ws://x').searchParams.get('rehearsal')!)!
    const session = new MediaSession({
      store: memoryStore(result, customer),
      grant: { callId: result.caller, callSid: result.caller, jti: result.caller, expiresAt: Date.now() + TALK_MS },
      protocol: exotelMediaStream,
      assistantFor: async () => assistant,
      send: (frame) => { if (socket.readyState === WebSocket.OPEN) socket.send(frame) },
      close: (code, reason) => socket.close(code, reason),
      aheadMs: TALK_MS, // all at once: the caller's own clock says what has played
      log: () => {}
    })
    socket.on('message', (data) => session.handle(String(data)))
    socket.on('close', () => {
      session.closed()
      settled.push(session.settled())
    })
  })
  try {
    await Promise.all(REHEARSAL_CALLERS.map(async (caller) => {
      const { does, ...behaviour } = callers[caller]
      results.set(caller, {
        caller,
        does,
        outcome: null,
        outcome_detail: null,
        dtmf: '',
        barge_ins: 0,
        transcript: [],
        notes: [],
        assistant_audio_seconds: 0,
        stop_reason: null,
        problem: null
      })
      const call = simulatedCall(caller)
      const socket = new WebSocket(`ws://127.0.0.1:${port}/?rehearsal=${caller}&sample-rate=${RATE}`)
      await once(socket, 'open')
      const query = new URLSearchParams({ 'sample-rate': String(RATE) })
      await new SimulatedCaller(call, socket, query, { accountSid: 'rehearsal', talkMs: TALK_MS, realtime: false }, scheduler, behaviour).talk()
      results.get(caller)!.assistant_audio_seconds = Math.round(call.bot.audioBytes / (RATE * 2) * 10) / 10
    }))
    await Promise.all(settled)
  } finally {
    await scheduler.stop()
    server.close()
  }
  return REHEARSAL_CALLERS.map((caller) => results.get(caller)!)
}

function simulatedCall (caller: string): SimulatedCall {
  return {
    sid: caller,
    from: '+910000000000',
    callerId: '+910000000001',
    customField: '',
    statusCallback: '',
    events: [],
    contentType: 'json',
    record: false,
    status: 'in-progress',
    bot: { audioBytes: 0, marks: [], clears: 0, misnumbered: 0 },
    caller: { digits: [], spokeMs: 0 },
    startTime: new Date()
  }
}

/** A rehearsal's call, in memory: the session finds it, and records into the result. */
function memoryStore (result: RehearsalResult, customer: CallContext['customer']): CallStore {
  const recorder: StreamRecorder = {
    callId: undefined,
    start () {},
    conversation (change: ConversationChange) {
      if (change.line) result.transcript.push(change.line)
      if (change.digit) result.dtmf += change.digit
      if (change.bargeIn) result.barge_ins++
      if (change.outcome) {
        result.outcome = change.outcome.result
        result.outcome_detail = change.outcome.detail ?? null
      }
      if (change.problem) result.problem = change.problem
      if (change.end) result.stop_reason = change.end
    },
    timeline (_key, detail) {
      if ('assistant' in detail) result.notes.push(detail)
    },
    settled: async () => {}
  }
  return {
    claimToken: async () => true,
    findCall: async () => ({ id: result.caller, status: 'in-progress' }),
    callContext: async () => ({ ...customer, assistant: null, answeredBy: null }),
    recorder: () => recorder
  }
}
