import { once } from 'node:events'
import { WebSocketServer, type WebSocket } from 'ws'
import { loudness } from '../lib/voice/audio.js'

/**
 * A local stand-in for OpenAI's Realtime WebSocket, speaking the documented events the bridge uses (GA names):
 * session.created/updated, response.output_audio.delta/done, response.output_audio_transcript.done,
 * input_audio_buffer.speech_started/stopped, conversation.item.input_audio_transcription.completed,
 * response.function_call_arguments.done, response.done. It plays one conversation: a 3 s greeting; when the caller
 * talks (loud audio) it hears "I will pay on Friday", or a key pressed, and records the outcome, then says goodbye
 * and hangs up. `dropAfterGreeting` closes the connection once the greeting has been sent, as a failing service.
 */
export async function startFakeRealtime () {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await once(server, 'listening')
  const fake = {
    url: `ws://127.0.0.1:${(server.address() as { port: number }).port}/v1/realtime`,
    /** Every connection: its request URL, its Authorization header, and the client events it sent. */
    sessions: [] as Array<{ url: string, authorization?: string, events: Array<Record<string, any>> }>,
    dropAfterGreeting: false,
    /** Sends server events to every connection, as the service would. */
    push (...events: object[]) {
      for (const client of server.clients) for (const event of events) client.send(JSON.stringify(event))
    },
    async close () {
      for (const client of server.clients) client.terminate()
      server.close()
      await once(server, 'close')
    }
  }
  server.on('connection', (socket, request) => {
    const session = { url: request.url!, authorization: request.headers.authorization, events: [] as Array<Record<string, any>> }
    fake.sessions.push(session)
    converse(socket, session.events, fake.dropAfterGreeting)
  })
  return fake
}

function converse (socket: WebSocket, events: Array<Record<string, any>>, drop: boolean) {
  let counter = 0
  const id = (kind: string) => `${kind}_${++counter}`
  const send = (event: object) => socket.send(JSON.stringify({ event_id: id('event'), ...event }))
  let pcmu = false
  let speech: { item: string, loudMs: number, quietMs: number } | undefined
  let turn: 'greeting' | 'listening' | 'answered' | 'done' = 'greeting'

  function speak (text: string, ms: number) {
    const response = id('resp')
    const item = id('item')
    // A tone, in the session's format: mu-law bytes (8 kHz) or 16-bit PCM at 24 kHz.
    const bytes = pcmu ? 8 * ms : 48 * ms
    const audio = Buffer.alloc(bytes, pcmu ? 0x20 : 0x40)
    for (let at = 0; at < bytes; at += bytes / 10) {
      send({ type: 'response.output_audio.delta', response_id: response, item_id: item, output_index: 0, content_index: 0, delta: audio.subarray(at, at + bytes / 10).toString('base64') })
    }
    send({ type: 'response.output_audio.done', response_id: response, item_id: item })
    send({ type: 'response.output_audio_transcript.done', response_id: response, item_id: item, transcript: text })
    send({ type: 'response.done', response: { id: response, status: 'completed' } })
  }

  function callFunction (name: string, args: object) {
    const response = id('resp')
    send({ type: 'response.function_call_arguments.done', response_id: response, item_id: id('item'), call_id: id('call'), name, arguments: JSON.stringify(args) })
    send({ type: 'response.done', response: { id: response, status: 'completed' } })
  }

  send({ type: 'session.created', session: { id: id('sess'), type: 'realtime' } })
  socket.on('message', (data) => {
    const event = JSON.parse(String(data)) as Record<string, any>
    events.push(event)
    switch (event.type) {
      case 'session.update':
        pcmu = event.session.audio.input.format.type === 'audio/pcmu'
        return send({ type: 'session.updated', session: event.session })
      case 'response.create':
        if (turn === 'greeting') {
          speak('Hello, this is a call about your account. Will you confirm your payment?', 3000)
          turn = 'listening'
          if (drop) socket.close(1011, 'server error')
        } else if (turn === 'answered') {
          speak('Thank you, goodbye.', 500)
          callFunction('end_call', {})
          turn = 'done'
        }
        return
      case 'conversation.item.create':
        if (turn === 'listening' && event.item.type === 'message') {
          const text = event.item.content[0].text as string
          callFunction('record_outcome', { result: text.includes('pressed 2') ? 'callback' : 'confirmed' })
          turn = 'answered'
        }
        return
      case 'input_audio_buffer.append': {
        if (turn !== 'listening') return
        const audio = Buffer.from(event.audio, 'base64')
        const ms = audio.length / (pcmu ? 8 : 48)
        const loud = loudness(audio, pcmu ? { encoding: 'mulaw', sampleRate: 8000 } : { encoding: 'pcm16', sampleRate: 24000 }) > 500
        if (loud && !speech) {
          speech = { item: id('item'), loudMs: 0, quietMs: 0 }
          send({ type: 'input_audio_buffer.speech_started', audio_start_ms: 0, item_id: speech.item })
        }
        if (!speech) return
        if (loud) speech.loudMs += ms
        else speech.quietMs += ms
        if (speech.quietMs >= 500) {
          send({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: speech.loudMs, item_id: speech.item })
          send({ type: 'conversation.item.input_audio_transcription.completed', item_id: speech.item, content_index: 0, transcript: 'I will pay on Friday' })
          callFunction('record_outcome', { result: 'confirmed', note: 'pays on Friday' })
          turn = 'answered'
          speech = undefined
        }
      }
    }
  })
}
