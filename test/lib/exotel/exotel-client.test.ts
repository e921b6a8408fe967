import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import t from 'tap'
import { ExotelClient } from '../../../lib/exotel/exotel-client.js'
import { startExotelSimulator } from '../../../lib/exotel/simulator.js'

const credentials = { accountSid: 'acme1', apiKey: 'key123', apiToken: 'token456' }
const options = { ...credentials, callerId: '+918000000001', appId: '42' }
const request = { to: '+919000000005', customField: 'call-1', statusCallback: 'http://127.0.0.1:9/exotel-webhook?token=x' }

/** A server that records what it is sent and answers with `answer`. */
async function fakeExotel (t: { teardown (fn: () => unknown): void }, answer: (response: ServerResponse) => void) {
  const seen: Array<{ method: string, url: string, headers: IncomingMessage['headers'], body: string }> = []
  const server = createServer(async (req, res) => {
    let body = ''
    for await (const chunk of req) body += chunk
    seen.push({ method: req.method!, url: req.url!, headers: req.headers, body })
    answer(res)
  }).listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { server.closeAllConnections(); server.close() })
  return { seen, baseUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}` }
}

t.test('connect sends what Exotel documents and answers the Call Sid', async (t) => {
  const exotel = await fakeExotel(t, (res) => res.writeHead(200, { 'content-type': 'application/json' })
    .end(JSON.stringify({ Call: { Sid: 'a'.repeat(32), Status: 'completed', Duration: '42', RecordingUrl: null } })))
  const client = new ExotelClient({ ...options, baseUrl: exotel.baseUrl })
  const call = await client.connect({ ...request, record: true })
  t.same(call, { sid: 'a'.repeat(32), status: 'completed', startTime: null, endTime: null, duration: 42, recordingUrl: null },
    'numbers sent as text are numbers')

  const [sent] = exotel.seen
  t.equal(sent!.method, 'POST')
  t.equal(sent!.url, '/v1/Accounts/acme1/Calls/connect.json')
  t.equal(sent!.headers.authorization, `Basic ${Buffer.from('key123:token456').toString('base64')}`)
  t.equal(sent!.headers['content-type'], 'application/x-www-form-urlencoded')
  t.same(Object.fromEntries(new URLSearchParams(sent!.body)), {
    From: '+919000000005',
    CallerId: '+918000000001',
    Url: 'http://my.exotel.com/acme1/exoml/start_voice/42',
    CallType: 'trans',
    TimeLimit: '1800',
    TimeOut: '30',
    CustomField: 'call-1',
    StatusCallback: request.statusCallback,
    'StatusCallbackEvents[0]': 'terminal',
    'StatusCallbackEvents[1]': 'answered',
    StatusCallbackContentType: 'application/json',
    Record: 'true',
    RecordingChannels: 'dual'
  })

  const details = await client.callDetails('a'.repeat(32))
  t.equal(details.sid, 'a'.repeat(32))
  t.equal(exotel.seen[1]!.url, `/v1/Accounts/acme1/Calls/${'a'.repeat(32)}.json`)
  t.equal(exotel.seen[1]!.method, 'GET')
})

t.test('the stream way: the answered call goes straight to the stream URL made for our call, with no flow', async (t) => {
  const exotel = await fakeExotel(t, (res) => res.writeHead(200, { 'content-type': 'application/json' })
    .end(JSON.stringify({ Call: { Sid: 'b'.repeat(32), Status: 'queued' } })))
  const { appId, ...credentialsOnly } = options
  const client = new ExotelClient({ ...credentialsOnly, baseUrl: exotel.baseUrl, streamUrl: (callId) => `wss://calls.example.com/media?call=${callId}` })
  await client.connect(request)
  const sent = Object.fromEntries(new URLSearchParams(exotel.seen[0]!.body))
  t.match(sent, { From: '+919000000005', CallerId: '+918000000001', StreamUrl: 'wss://calls.example.com/media?call=call-1', StreamType: 'bidirectional', CustomField: 'call-1' })
  t.equal(sent.Url, undefined, 'no flow')
  t.equal(appId, '42')
})

t.test("Exotel's refusals become clear errors; only an unknown outcome says the call may exist", async (t) => {
  const cases: Array<[number, string | undefined, { message: string | RegExp, statusCode: number, outcomeUnknown?: boolean }]> = [
    [401, undefined, { statusCode: 502, message: 'Exotel refused our API credentials', outcomeUnknown: false }],
    [403, 'Your account is not KYC compliant', {
      statusCode: 502,
      message: 'Exotel refused the call; the account may need KYC verification (TRAI rules): Your account is not KYC compliant'
    }],
    [429, 'Too many requests', { statusCode: 429, message: /rate limit/ }],
    [400, 'From is invalid', { statusCode: 502, message: 'Exotel refused the request (400): From is invalid' }],
    [500, undefined, { statusCode: 502, message: 'Exotel failed (500)', outcomeUnknown: true }],
    [200, undefined, { statusCode: 502, message: 'Exotel answered without a call' }]
  ]
  for (const [status, message, expected] of cases) {
    const exotel = await fakeExotel(t, (res) => res.writeHead(status, { 'content-type': 'application/json' }).end(
      status === 200 ? '{}' : JSON.stringify(message ? { RestException: { Status: status, Message: message } } : {})))
    const client = new ExotelClient({ ...options, baseUrl: exotel.baseUrl })
    await t.rejects(client.connect(request), expected, `HTTP ${status}`)
  }

  const html = await fakeExotel(t, (res) => res.writeHead(502).end('<html>Bad gateway</html>'))
  await t.rejects(new ExotelClient({ ...options, baseUrl: html.baseUrl }).callDetails('x'),
    { statusCode: 502, message: 'Exotel failed (502)', outcomeUnknown: false }, 'a page that is not JSON')

  let answered = 0
  const flaky = await fakeExotel(t, (res) => {
    if (++answered === 1) return res.writeHead(503).end('busy')
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ Call: { Sid: 'b'.repeat(32), Status: 'completed' } }))
  })
  const lookedUp = await new ExotelClient({ ...options, baseUrl: flaky.baseUrl }).callDetails('b'.repeat(32))
  t.equal(lookedUp.status, 'completed', 'a lookup that fails for want of an answer is asked once more')
  t.equal(flaky.seen.length, 2)
  const refusing = await fakeExotel(t, (res) => res.writeHead(404).end('{}'))
  await t.rejects(new ExotelClient({ ...options, baseUrl: refusing.baseUrl }).callDetails('x'), { statusCode: 502, message: 'Exotel refused the request (404)' })
  t.equal(refusing.seen.length, 1, 'a refusal is not asked again')

  const silent = await fakeExotel(t, () => {}) // never answers
  const slow = new ExotelClient({ ...options, baseUrl: silent.baseUrl, timeoutMs: 50 })
  await t.rejects(slow.connect(request), {
    statusCode: 504, outcomeUnknown: true, message: /the call may have been placed/
  }, 'a connect that times out may have dialled')
  await t.rejects(slow.callDetails('x'), { statusCode: 504, message: 'Exotel is unreachable (timed out)' })
  const nowhere = new ExotelClient({ ...options, baseUrl: 'http://127.0.0.1:9' })
  await t.rejects(nowhere.callDetails('x'), { statusCode: 502, message: /^Exotel is unreachable/ })
})

t.test('the simulator checks credentials and fields as Exotel does, and limits the rate', async (t) => {
  const simulator = await startExotelSimulator({ ...credentials, passthruUrl: () => 'http://127.0.0.1:9/', ringMs: 60_000 })
  t.teardown(() => simulator.stop())
  const client = new ExotelClient({ ...options, baseUrl: simulator.baseUrl })

  const placed = await client.connect(request)
  t.match(placed, { sid: /^[0-9a-f]{32}$/, status: 'in-progress', duration: null })
  t.match(simulator.calls.get(placed.sid), { from: '+919000000005', customField: 'call-1', events: ['terminal', 'answered'] })
  t.equal((await client.callDetails(placed.sid)).status, 'in-progress')
  await t.rejects(client.callDetails('nope'), { statusCode: 502, message: /404/ })

  const wrong = new ExotelClient({ ...options, apiToken: 'wrong', baseUrl: simulator.baseUrl })
  await t.rejects(wrong.connect(request), { message: /^Exotel refused our API credentials/ })
  await t.rejects(client.connect({ ...request, to: 'not a number' }), { message: /From must be a phone number/ })
  await t.rejects(client.connect({ ...request, customField: 'x'.repeat(129) }), { message: /CustomField is longer/ })
  await t.rejects(new ExotelClient({ ...options, appId: 'app', baseUrl: simulator.baseUrl }).connect(request),
    { message: /Url \(http:\/\/my\.exotel\.com\/<account_sid>\/exoml\/start_voice\/<app_id>\) or StreamUrl is required/ })
  const streaming = (streamUrl: (callId: string) => string) => new ExotelClient({ ...options, baseUrl: simulator.baseUrl, streamUrl })
  await t.rejects(streaming(() => 'https://calls.example.com/media').connect(request), { message: 'StreamUrl must be a ws:// or wss:// URL' })
  await t.rejects(streaming((id) => `wss://calls.example.com/media?call=${id}&token=${'t'.repeat(600)}`).connect(request),
    { statusCode: 500, message: /^The stream URL is 648 characters, more than Exotel's 600: shorten PUBLIC_BASE_URL$/ }, 'refused before Exotel is asked')
  await t.rejects(client.connect({ ...request, statusCallback: 'not a url' }), { message: /StatusCallback must be a URL/ })
  await t.rejects(new ExotelClient({ ...options, callerId: '', baseUrl: simulator.baseUrl }).connect(request),
    { message: /CallerId is required/ })

  const form = await fetch(`${simulator.baseUrl}/v1/Accounts/acme1/Calls/connect.json`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from('key123:token456').toString('base64')}`, 'content-type': 'application/json' },
    body: '{}'
  })
  t.equal(form.status, 400, 'only form-encoded bodies')

  // Seven connects so far (one placed, six refused); Exotel counts every request.
  for (let made = 7; made < 200; made++) await client.connect(request)
  await t.rejects(client.connect(request), { statusCode: 429, message: /rate limit/ }, 'the 201st connect in a minute')
})
