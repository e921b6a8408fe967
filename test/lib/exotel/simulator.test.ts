import { once } from 'node:events'
import { createServer } from 'node:http'
import { connect as connectSocket } from 'node:net'
import WebSocket, { WebSocketServer } from 'ws'
import t from 'tap'
import { exotelTime, startExotelSimulator } from '../../../lib/exotel/simulator.js'

const credentials = { accountSid: 'acme1', apiKey: 'key', apiToken: 'token' }
const authorization = `Basic ${Buffer.from('key:token').toString('base64')}`

/** A server standing in for ours: it keeps each request's method, path, content type and body. */
async function receiver (t: { teardown (fn: () => unknown): void }, delayMs = 0) {
  const received: Array<{ method: string, url: string, contentType: string, body: string }> = []
  const server = createServer(async (request, response) => {
    let body = ''
    for await (const chunk of request) body += chunk
    received.push({ method: request.method!, url: request.url!, contentType: String(request.headers['content-type']), body })
    setTimeout(() => response.end('OK'), delayMs)
  }).listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { server.closeAllConnections(); server.close() })
  return { received, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` }
}

async function connect (baseUrl: string, fields: Record<string, string>) {
  const response = await fetch(`${baseUrl}/v1/Accounts/acme1/Calls/connect.json`, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ CallerId: '08000000001', Url: 'http://my.exotel.com/acme1/exoml/start_voice/42', ...fields })
  })
  return (await response.json() as { Call: { Sid: string } }).Call.Sid
}

async function until (condition: () => boolean) {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10))
  if (!condition()) throw new Error('timed out waiting')
}

t.test('by default callbacks come as multipart form data with flattened legs, as Exotel sends them', async (t) => {
  const us = await receiver(t)
  const simulator = await startExotelSimulator({ ...credentials, passthruUrl: () => `${us.url}/passthru-handler?token=x`, ringMs: 10, talkMs: 10 })
  t.teardown(() => simulator.stop())
  const sid = await connect(simulator.baseUrl, {
    From: '09000000005', CustomField: 'ours', StatusCallback: `${us.url}/exotel-webhook`, Record: 'true'
  })
  await until(() => us.received.length === 2)
  const [passthru, terminal] = us.received
  t.equal(passthru!.method, 'GET')
  const query = new URL(passthru!.url, us.url).searchParams
  t.match(Object.fromEntries(query), { token: 'x', CallSid: sid, CallFrom: '09000000005', CustomField: 'ours', CallStatus: 'in-progress' })
  t.match(terminal!.contentType, /^multipart\/form-data; boundary=/)
  const fields = Object.fromEntries(await new Response(terminal!.body, { headers: { 'content-type': terminal!.contentType } }).formData())
  t.match(fields, {
    CallSid: sid,
    EventType: 'terminal',
    Status: 'completed',
    'Legs[0][Status]': 'completed',
    'Legs[0][AnsweredBy]': 'Human',
    CustomField: 'ours',
    RecordingUrl: new RegExp(`${sid}\\.mp3$`)
  })
  t.equal(us.received.length, 2, 'no answered callback unless asked for')
})

t.test('a call with no StatusCallback reports nothing; failed deliveries are told, never thrown', async (t) => {
  const failures: string[] = []
  const simulator = await startExotelSimulator({
    ...credentials,
    passthruUrl: () => { throw new Error('not listening') },
    ringMs: 10,
    talkMs: 10,
    onDeliveryError: (url, error) => failures.push(`${url} ${error.message}`)
  })
  t.teardown(() => simulator.stop())
  await connect(simulator.baseUrl, { From: '09000000005' })
  await connect(simulator.baseUrl, { From: '09000000001', StatusCallback: 'http://127.0.0.1:9/exotel-webhook' })
  await until(() => failures.length === 2)
  t.match(failures.sort(), [/^ not listening$/, /^http:\/\/127\.0\.0\.1:9\/exotel-webhook /])
})

t.test("Exotel's time format is India time, to the second", async (t) => {
  t.equal(exotelTime(new Date('2026-11-25T12:00:00.123Z')), '2026-11-25 17:30:00')
})

t.test('a connect request that breaks off midway is answered with an error, and the simulator carries on', async (t) => {
  const simulator = await startExotelSimulator({ ...credentials, passthruUrl: () => 'http://127.0.0.1:9/' })
  t.teardown(() => simulator.stop())
  const { port } = new URL(simulator.baseUrl)
  const socket = connectSocket(Number(port), '127.0.0.1')
  await once(socket, 'connect')
  socket.write('POST /v1/Accounts/acme1/Calls/connect.json HTTP/1.1\r\nHost: x\r\n' +
    `Authorization: ${authorization}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nFrom=09`)
  await new Promise((resolve) => setTimeout(resolve, 50))
  socket.destroy()
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(simulator.calls.size, 0, 'no call from half a request')
  const sid = await connect(simulator.baseUrl, { From: '09000000005' })
  t.ok(simulator.calls.has(sid))
})

t.test('requests Exotel would refuse, call details of a finished call, and a stop mid-call', async (t) => {
  const us = await receiver(t, 100) // slow to answer, so that the simulator can be stopped mid-call
  const simulator = await startExotelSimulator({ ...credentials, passthruUrl: () => `${us.url}/passthru`, ringMs: 0, talkMs: 0 })
  const post = (fields: Record<string, string>, headers: Record<string, string> = { authorization }) =>
    fetch(`${simulator.baseUrl}/v1/Accounts/acme1/Calls/connect.json`, {
      method: 'POST', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields)
    })
  t.equal((await post({ From: '09000000005' }, {})).status, 401, 'no credentials')
  t.match(await (await post({ CallerId: '1', Url: 'x' })).json(), { RestException: { Message: 'From must be a phone number' } })
  t.match(await (await post({ From: '09000000005', CallerId: '1' })).json(), { RestException: { Message: /^Url \(http:.*\) or StreamUrl is required$/ } })
  t.match(await (await post({ From: '09000000005', CallerId: '1', StreamUrl: `wss://us.example/${'x'.repeat(600)}`, StreamType: 'bidirectional' })).json(),
    { RestException: { Message: 'StreamUrl is longer than 600 characters' } })
  t.match(await (await post({ From: '09000000005', CallerId: '1', StreamUrl: 'wss://us.example/media' })).json(),
    { RestException: { Message: 'StreamType must be bidirectional or unidirectional' } })
  t.equal((await fetch(`${simulator.baseUrl}/v1/Accounts/acme1/Other`, { headers: { authorization } })).status, 404)

  const sid = await connect(simulator.baseUrl, { From: '09000000001' }) // busy, at once
  await until(() => simulator.calls.get(sid)!.status === 'busy')
  const details = await (await fetch(`${simulator.baseUrl}/v1/Accounts/acme1/Calls/${sid}.json`, { headers: { authorization } })).json()
  t.match(details, { Call: { Sid: sid, Status: 'busy', EndTime: /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/, Duration: '0' } })

  const answered = await connect(simulator.baseUrl, { From: '09000000005' })
  await until(() => us.received.length > 0) // the flow reached us: the call is between answer and hang-up
  await simulator.stop()
  t.equal(simulator.calls.get(answered)!.status, 'in-progress', 'a stop ends the simulation where it is')
})

/** A stand-in for our /ws-url and media WebSocket: records what the simulator streams, and acts as a bot would. */
async function bot (t: { teardown (fn: () => unknown): void }, behave: (socket: WebSocket, message: { event: string, stream_sid?: string }) => void,
  extra = '') {
  const received: Array<{ event: string, [key: string]: unknown }> = []
  const server = createServer((request, response) => {
    const port = (server.address() as { port: number }).port
    const query = new URL(request.url!, 'http://x').searchParams
    response.setHeader('content-type', 'application/json')
    response.end(JSON.stringify({ url: `ws://127.0.0.1:${port}/media?call=${query.get('CallSid')}&token=t${extra}` }))
  }).listen(0, '127.0.0.1')
  const sockets = new WebSocketServer({ server })
  sockets.on('connection', (socket) => socket.on('message', (data) => {
    const message = JSON.parse(String(data))
    received.push(message)
    behave(socket, message)
  }))
  await once(server, 'listening')
  t.teardown(() => { sockets.close(); server.closeAllConnections(); server.close() })
  return { received, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/ws-url?token=x` }
}

t.test('an answered call streams through the Voicebot applet: start, audio, marks answered as played, keys, stop', async (t) => {
  const us = await bot(t, (socket, message) => {
    if (message.event !== 'start') return
    const sid = message.stream_sid
    const send = (event: object) => socket.send(JSON.stringify({ stream_sid: sid, ...event }))
    send({ event: 'media', media: { payload: Buffer.alloc(3200).toString('base64') } }) // 200 ms
    send({ event: 'mark', mark: { name: 'greeting' } })
    setTimeout(() => { // once the greeting has played: more audio and a mark, dropped before they play
      send({ event: 'media', media: { payload: Buffer.alloc(3200).toString('base64') } })
      send({ event: 'mark', mark: { name: 'dropped' } })
      send({ event: 'clear' })
    }, 300)
  })
  const simulator = await startExotelSimulator({
    ...credentials, passthruUrl: () => 'http://127.0.0.1:9/', voicebotUrl: () => us.url, ringMs: 0, talkMs: 450
  })
  t.teardown(() => simulator.stop())
  const sid = await connect(simulator.baseUrl, { From: '09000000005' }) // a caller who presses 2
  await until(() => simulator.calls.get(sid)!.status === 'completed')
  const events = us.received.map((message) => message.event)
  t.same(events.slice(0, 2), ['connected', 'start'])
  t.equal(events.at(-1), 'stop')
  t.equal(events.filter((event) => event === 'media').length, 5, '450 ms of audio in 100 ms frames')
  t.same(us.received.filter((message) => message.event === 'mark').map((message) => (message.mark as { name: string }).name), ['greeting'],
    'the mark answered once played; the cleared one never')
  t.match(us.received.find((message) => message.event === 'dtmf'), { dtmf: { digit: '2' } }, 'the caller pressed 2 once asked')
  t.match(us.received[1], {
    sequence_number: '1', start: { call_sid: sid, custom_parameters: { call: sid }, media_format: { encoding: 'audio/x-raw', sample_rate: '8000' } }
  })
  t.equal(Buffer.from((us.received[2]!.media as { payload: string }).payload, 'base64').length, 1600, '100 ms at 8 kHz')
  t.match(us.received.at(-1), { event: 'stop', stop: { call_sid: sid, reason: 'callended' } })
  t.same(simulator.calls.get(sid)!.bot, { audioBytes: 6400, marks: ['greeting'], clears: 1, misnumbered: 5 }, 'this bot numbers none of its frames')
  t.same(simulator.calls.get(sid)!.caller, { digits: ['2'], spokeMs: 0 })
})

t.test('a hand-off whose "Dial whom" URL gives no number rings nobody, and says why', async (t) => {
  const us = await bot(t, (socket, message) => { if (message.event === 'start') socket.close() }) // the bot's part ends at once
  const flow = createServer((request, response) => {
    const path = new URL(request.url!, 'http://x').pathname
    if (path === '/passthru') { // after the bot: on to the Connect applet
      response.writeHead(new URL(request.url!, 'http://x').searchParams.has('Stream[Status]') ? 302 : 200, { location: '/next' })
      return response.end()
    }
    response.writeHead(path === '/agent-broken' ? 500 : 200).end(path === '/agent-broken' ? 'oops' : '')
  }).listen(0, '127.0.0.1')
  await once(flow, 'listening')
  t.teardown(() => { flow.closeAllConnections(); flow.close() })
  const base = `http://127.0.0.1:${(flow.address() as { port: number }).port}`
  const said = {
    '/agent-broken': '/agent-broken: Dial whom answered 500 "oops"',
    '/agent-empty': '/agent-empty: Dial whom answered 200 ""',
    '/agent-away': '/agent-away: fetch failed' // (nothing listens)
  }
  for (const [agent, told] of Object.entries(said)) {
    const errors: string[] = []
    const simulator = await startExotelSimulator({
      ...credentials,
      passthruUrl: () => `${base}/passthru`,
      voicebotUrl: () => us.url,
      agentUrl: () => agent === '/agent-away' ? 'http://127.0.0.1:9/agent-away' : `${base}${agent}`,
      ringMs: 0,
      talkMs: 10_000,
      onDeliveryError: (url, error) => errors.push(`${new URL(url).pathname}: ${error.message}`)
    })
    const sid = await connect(simulator.baseUrl, { From: '09000000005' })
    await until(() => simulator.calls.get(sid)!.status === 'completed')
    await simulator.stop()
    t.equal(simulator.calls.get(sid)!.agent, undefined, `${agent}: no agent rung`)
    t.same(errors, [told], 'told once')
  }
})

t.test('the stream way: an answered call goes straight to the StreamUrl it was placed with, no Passthru, no /ws-url', async (t) => {
  const us = await bot(t, () => {})
  const passthru = await receiver(t)
  const simulator = await startExotelSimulator({ ...credentials, passthruUrl: () => `${passthru.url}/passthru`, ringMs: 0, talkMs: 200 })
  t.teardown(() => simulator.stop())
  const streamUrl = `${us.url.replace(/^http/, 'ws').replace('/ws-url?token=x', '/media?token=made-for-the-call')}&sample-rate=16000`
  const sid = await connect(simulator.baseUrl, { From: '09000000005', Url: '', StreamUrl: streamUrl, StreamType: 'bidirectional' })
  await until(() => simulator.calls.get(sid)!.status === 'completed')
  t.same(us.received.slice(0, 2).map((message) => message.event), ['connected', 'start'])
  t.match(us.received[1], { start: { call_sid: sid, media_format: { sample_rate: '16000' } } }, 'at the rate the URL asks')
  t.equal(passthru.received.length, 0, 'no flow ran')
})

t.test('a caller who talks over the bot, at the stream\'s sample rate, ten times faster than real time', async (t) => {
  let frames = 0
  const us = await bot(t, (socket, message) => {
    // A second of words at the start, and more after the caller has talked (15 frames in).
    if (message.event === 'media' && ++frames !== 15) return
    if (message.event !== 'start' && message.event !== 'media') return
    socket.send(JSON.stringify({ event: 'media', stream_sid: message.stream_sid, media: { payload: Buffer.alloc(32_000).toString('base64') } }))
    socket.send(JSON.stringify({ event: 'mark', stream_sid: message.stream_sid, mark: { name: message.event } }))
  }, '&sample-rate=16000')
  const simulator = await startExotelSimulator({
    ...credentials, passthruUrl: () => 'http://127.0.0.1:9/', voicebotUrl: () => us.url, ringMs: 0, talkMs: 3000, realtime: false
  })
  t.teardown(() => simulator.stop())
  const sid = await connect(simulator.baseUrl, { From: '09000000004' })
  await until(() => simulator.calls.get(sid)!.status === 'completed')
  const audio = us.received.filter((message) => message.event === 'media').map((message) => Buffer.from((message.media as { payload: string }).payload, 'base64'))
  t.equal(audio.length, 30, '3 s of audio')
  t.equal(audio[0]!.length, 3200, '100 ms at 16 kHz')
  const loud = audio.map((frame) => frame.some((byte) => byte !== 0))
  t.equal(loud.filter(Boolean).length, 10, 'a second of talking')
  t.same(simulator.calls.get(sid)!.caller, { digits: ['1'], spokeMs: 1000 }, 'then a key, when the next mark played')
  t.match(us.received[1], { start: { media_format: { sample_rate: '16000' } } })
})

t.test('a stream the bot ends, or that cannot start, still ends the call', async (t) => {
  const us = await bot(t, (socket, message) => { if (message.event === 'start') socket.close() })
  const failures: string[] = []
  const simulator = await startExotelSimulator({
    ...credentials,
    passthruUrl: () => 'http://127.0.0.1:9/',
    voicebotUrl: () => us.url,
    ringMs: 0,
    talkMs: 10_000,
    onDeliveryError: (url) => failures.push(url)
  })
  t.teardown(() => simulator.stop())
  const closedByBot = await connect(simulator.baseUrl, { From: '09000000005' })
  await until(() => simulator.calls.get(closedByBot)!.status === 'completed')
  t.notOk(us.received.some((message) => message.event === 'stop'), 'no stop on a socket the bot closed')

  const nowhere = await startExotelSimulator({
    ...credentials,
    passthruUrl: () => 'http://127.0.0.1:9/',
    voicebotUrl: () => 'http://127.0.0.1:9/ws-url',
    ringMs: 0,
    talkMs: 0,
    onDeliveryError: (url) => failures.push(url)
  })
  t.teardown(() => nowhere.stop())
  const unreachable = await connect(nowhere.baseUrl, { From: '09000000005' })
  await until(() => nowhere.calls.get(unreachable)!.status === 'completed')
  t.ok(failures.includes('http://127.0.0.1:9/ws-url'), 'the failed applet is told')
})

t.test('what the caller does after the bot has closed the stream is not sent', async (t) => {
  const us = await bot(t, (socket, message) => {
    if (message.event !== 'start') return
    socket.send(JSON.stringify({ event: 'media', stream_sid: message.stream_sid, media: { payload: Buffer.alloc(1600).toString('base64') } }))
    socket.send(JSON.stringify({ event: 'mark', stream_sid: message.stream_sid, mark: { name: 'bye' } }))
    setTimeout(() => socket.close(), 10) // before the 100 ms of audio have played
  })
  const simulator = await startExotelSimulator({
    ...credentials, passthruUrl: () => 'http://127.0.0.1:9/', voicebotUrl: () => us.url, ringMs: 0, talkMs: 10_000
  })
  t.teardown(() => simulator.stop())
  const sid = await connect(simulator.baseUrl, { From: '09000000005' })
  await until(() => simulator.calls.get(sid)!.caller.digits.length === 1)
  t.same(simulator.calls.get(sid)!.bot.marks, ['bye'], 'the mark played')
  t.notOk(us.received.some((message) => message.event === 'mark' || message.event === 'dtmf'), 'but nothing went on a closed stream')
})
