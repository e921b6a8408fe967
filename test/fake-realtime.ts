import { once } from 'node:events'
import { createServer } from 'node:http'
import { WebSocketServer, type WebSocket } from 'ws'
import { loudness } from '../lib/voice/audio.js'

/**
 * A local stand-in for OpenAI's Realtime WebSocket that keeps the real server's lifecycle (GA event names):
 * session.created/updated; each response is `response.created` ... `response.done`, and while one is active a
 * `response.create` is refused with an `error` of code `conversation_already_has_active_response`; the caller
 * starting to talk (`input_audio_buffer.speech_started`) cancels the active response (`response.done`, status
 * `cancelled`), and, as server VAD does, their turn ends in a response the server starts itself; a truncate past
 * the audio it sent is refused. It plays one conversation: a 3 s greeting; when the caller talks (loud audio) it
 * hears "I will pay on Friday", or a key pressed, and records the outcome, then says goodbye and hangs up (0 pressed:
 * it hands the call to a person).
 * Asked to "say exactly" a text after the greeting (a message for an answering machine), it says it; a
 * `response.cancel` cancels the active response, or is refused when there is none.
 * `dropAfterGreeting` closes the connection once the greeting has been sent, as a failing service; `refusal`
 * answers the connection with an HTTP error instead, as the service does a bad key or an unknown model.
 */
export async function startFakeRealtime () {
  const http = createServer()
  const server = new WebSocketServer({ noServer: true })
  http.listen(0, '127.0.0.1')
  await once(http, 'listening')
  const fake = {
    url: `ws://127.0.0.1:${(http.address() as { port: number }).port}/v1/realtime`,
    /** Every connection: its request URL, its Authorization header, and the client events it sent. */
    sessions: [] as Array<{ url: string, authorization?: string, events: Array<Record<string, any>> }>,
    /** Every error event sent, by code. */
    errors: [] as string[],
    dropAfterGreeting: false,
    /** The greeting's audio stalls this long halfway, as a slow model's does (0: it does not). */
    stallMs: 0,
    refusal: undefined as { status: number, body: string } | undefined,
    /** The reason given with the hand_off tool (undefined: none given). */
    handOffReason: 'asked for a person' as string | undefined,
    /** Sends server events to every connection, as the service would (audio deltas count as audio it sent). */
    push (...events: Array<Record<string, any>>) {
      for (const client of server.clients) {
        for (const event of events) {
          if (event.type === 'response.output_audio.delta' || event.type === 'response.audio.delta') {
            connections.get(client)?.sent(event.item_id, Buffer.from(event.delta ?? '', 'base64').length)
          }
          client.send(JSON.stringify(event))
        }
      }
    },
    async close () {
      for (const client of server.clients) client.terminate()
      http.closeAllConnections()
      http.close()
      await once(http, 'close')
    }
  }
  const connections = new Map<WebSocket, { sent (item: string, bytes: number): void }>()
  http.on('upgrade', (request, socket, head) => {
    if (fake.refusal) {
      const { status, body } = fake.refusal
      socket.end(`HTTP/1.1 ${status} Refused\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
      return
    }
    server.handleUpgrade(request, socket, head, (client) => {
      const session = { url: request.url!, authorization: request.headers.authorization, events: [] as Array<Record<string, any>> }
      fake.sessions.push(session)
      connections.set(client, converse(client, session.events, fake.errors, fake.dropAfterGreeting, fake.stallMs, fake.handOffReason))
    })
  })
  return fake
}

function converse (socket: WebSocket, events: Array<Record<string, any>>, errors: string[], drop: boolean, stallMs: number,
  handOffReason: string | undefined) {
  let counter = 0
  const id = (kind: string) => `${kind}_${++counter}`
  const send = (event: object) => { if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ event_id: id('event'), ...event })) }
  const refuse = (code: string, message: string) => {
    errors.push(code)
    send({ type: 'error', error: { type: 'invalid_request_error', code, message } })
  }
  let pcmu = false
  let speech: { item: string, loudMs: number, quietMs: number } | undefined
  let turn: 'greeting' | 'listening' | 'answered' | 'done' = 'greeting'
  /** The last text the client added to the conversation (a key pressed). */
  let typed: string | undefined
  /** The active response: its id and how to cancel what it has not sent yet. */
  let active: { id: string, cancel: () => void } | undefined
  /** Milliseconds of audio sent for each item, for truncation. */
  const sentMs = new Map<string, number>()
  const sent = (item: string, bytes: number) => sentMs.set(item, (sentMs.get(item) ?? 0) + bytes / (pcmu ? 8 : 48))

  /**
   * A response: created at once; its parts a little later, as a model generates them (the first `stallAt` of them,
   * then the rest after `stall` ms); done after them.
   */
  function respond (parts: (response: string) => object[], stallAt = Infinity, stall = 0) {
    if (active) return refuse('conversation_already_has_active_response', `Conversation already has an active response in progress: ${active.id}.`)
    const response = id('resp')
    send({ type: 'response.created', response: { id: response, status: 'in_progress' } })
    let cancelled = false
    let timer = setTimeout(async () => {
      const all = parts(response)
      for (const event of all.slice(0, stallAt)) send(event)
      if (stall) await new Promise((resolve) => setTimeout(resolve, stall))
      if (cancelled) return // nothing more of a response cancelled meanwhile
      for (const event of all.slice(stallAt)) send(event)
      timer = setTimeout(() => {
        active = undefined
        send({ type: 'response.done', response: { id: response, status: 'completed' } })
      }, 10)
    }, 20)
    active = {
      id: response,
      cancel: () => {
        cancelled = true
        clearTimeout(timer)
        active = undefined
        send({ type: 'response.done', response: { id: response, status: 'cancelled' } })
      }
    }
  }

  function speak (text: string, ms: number, then: object[] = [], stall = 0) {
    const item = id('item')
    respond((response) => {
      // A tone, in the session's format: mu-law bytes (8 kHz) or 16-bit PCM at 24 kHz.
      const bytes = pcmu ? 8 * ms : 48 * ms
      const audio = Buffer.alloc(bytes, pcmu ? 0x20 : 0x40)
      sent(item, bytes)
      const deltas = Array.from({ length: 10 }, (_, n) => ({
        type: 'response.output_audio.delta',
        response_id: response,
        item_id: item,
        output_index: 0,
        content_index: 0,
        delta: audio.subarray(n * bytes / 10, (n + 1) * bytes / 10).toString('base64')
      }))
      return [
        ...deltas,
        { type: 'response.output_audio.done', response_id: response, item_id: item },
        { type: 'response.output_audio_transcript.done', response_id: response, item_id: item, transcript: text },
        ...then.map((event) => ({ ...event, response_id: response }))
      ]
    }, 5, stall)
  }

  const functionCall = (name: string, args: object) =>
    ({ type: 'response.function_call_arguments.done', item_id: id('item'), call_id: id('call'), name, arguments: JSON.stringify(args) })

  send({ type: 'session.created', session: { id: id('sess'), type: 'realtime' } })
  socket.on('message', (data) => {
    const event = JSON.parse(String(data)) as Record<string, any>
    events.push(event)
    switch (event.type) {
      case 'session.update':
        pcmu = event.session.audio.input.format.type === 'audio/pcmu'
        return send({ type: 'session.updated', session: event.session })
      case 'response.cancel':
        return active ? active.cancel() : refuse('response_cancel_not_active', 'Cancellation failed: no active response found')
      case 'response.create': {
        if (active) return refuse('conversation_already_has_active_response', `Conversation already has an active response in progress: ${active.id}.`)
        const exactly = /^Say exactly this, and nothing else: (.*)$/s.exec(event.response?.instructions ?? '')?.[1]
        if (exactly && turn !== 'greeting') {
          speak(exactly, 1000)
          turn = 'done'
        } else if (turn === 'greeting') {
          speak('Hello, this is a call about your account. Will you confirm your payment?', 3000, [], stallMs)
          turn = 'listening'
          if (drop) setTimeout(() => socket.close(1011, 'server error'), 30)
        } else if (turn === 'listening' && typed?.includes('pressed 0')) {
          turn = 'done'
          respond(() => [functionCall('hand_off', handOffReason === undefined ? {} : { reason: handOffReason })])
        } else if (turn === 'listening' && typed) {
          const result = typed.includes('pressed 2') ? 'callback' : 'confirmed'
          turn = 'answered'
          respond(() => [functionCall('record_outcome', { result })])
        } else if (turn === 'answered') {
          speak('Thank you, goodbye.', 500, [functionCall('end_call', {})])
          turn = 'done'
        } else {
          respond(() => [])
        }
        return
      }
      case 'conversation.item.create':
        // An item is only added: the client's response.create asks for the answer.
        if (event.item.type === 'message') typed = event.item.content[0].text as string
        return
      case 'conversation.item.truncate': {
        const ms = sentMs.get(event.item_id)
        if (ms === undefined) return refuse('item_truncate_invalid_item_id', `Item ${String(event.item_id)} not found`)
        if (event.audio_end_ms > ms) return refuse('invalid_value', `Audio content of ${ms}ms is already shorter than ${String(event.audio_end_ms)}ms`)
        return send({ type: 'conversation.item.truncated', item_id: event.item_id, content_index: 0, audio_end_ms: event.audio_end_ms })
      }
      case 'input_audio_buffer.append': {
        if (turn !== 'listening') return
        const audio = Buffer.from(event.audio, 'base64')
        const ms = audio.length / (pcmu ? 8 : 48)
        const loud = loudness(audio, pcmu ? { encoding: 'mulaw', sampleRate: 8000 } : { encoding: 'pcm16', sampleRate: 24000 }) > 500
        if (loud && !speech) {
          speech = { item: id('item'), loudMs: 0, quietMs: 0 }
          send({ type: 'input_audio_buffer.speech_started', audio_start_ms: 0, item_id: speech.item })
          active?.cancel()
        }
        if (!speech) return
        if (loud) speech.loudMs += ms
        else speech.quietMs += ms
        if (speech.quietMs >= 500) {
          send({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: speech.loudMs, item_id: speech.item })
          send({ type: 'conversation.item.input_audio_transcription.completed', item_id: speech.item, content_index: 0, transcript: 'I will pay on Friday' })
          turn = 'answered'
          speech = undefined
          // Server VAD answers the turn itself: here, with the outcome.
          respond(() => [functionCall('record_outcome', { result: 'confirmed', note: 'pays on Friday' })])
        }
      }
    }
  })
  return { sent }
}
