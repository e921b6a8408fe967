import Fastify from 'fastify'
import fp from 'fastify-plugin'
import t from 'tap'
import app from '../../app.js'
import { build, capturingLogger } from '../helper.js'

const exotel = {
  EXOTEL_API_KEY: 'key',
  EXOTEL_API_TOKEN: 'token',
  EXOTEL_ACCOUNT_SID: 'acme1',
  EXOTEL_CALLER_ID: '08000000001',
  EXOTEL_APP_ID: '42',
  EXOTEL_WEBHOOK_TOKEN: 'a-long-webhook-token',
  EXOTEL_SUBDOMAIN: 'api.in.exotel.com'
}

t.test('with Exotel credentials, real Exotel; every companion variable is required', async (t) => {
  const server = await build(t, { env: { ...exotel, PUBLIC_BASE_URL: 'https://calls.example.com' } })
  t.equal(server.telephony.mode, 'exotel')
  t.equal(server.telephony.simulator, undefined)
  t.equal(server.telephony.exotel.flowUrl, 'http://my.exotel.com/acme1/exoml/start_voice/42')
  t.equal(server.telephony.callMode, 'flow', 'with an app, the flow way')
  t.equal(server.telephony.statusCallbackUrl(), 'https://calls.example.com/exotel-webhook?token=a-long-webhook-token')
  t.ok(server.telephony.isWebhookToken('a-long-webhook-token'))
  t.notOk(server.telephony.isWebhookToken(['a-long-webhook-token']), 'a repeated query parameter is no token')

  const incomplete = Fastify({ pluginTimeout: 0 })
  incomplete.register(fp(app), { env: { DATA_DIR: 'memory://', EXOTEL_API_KEY: 'key', EXOTEL_APP_ID: '42' } })
  await t.rejects(async () => { await incomplete.ready() }, {
    message: 'Invalid configuration: EXOTEL_API_TOKEN, EXOTEL_ACCOUNT_SID, EXOTEL_WEBHOOK_TOKEN must be set with EXOTEL_API_KEY'
  })
})

t.test('with no app, the stream way; the flow way without an app is refused at start', async (t) => {
  const { EXOTEL_APP_ID: _app, ...withoutApp } = exotel
  const server = await build(t, { env: { ...withoutApp, PUBLIC_BASE_URL: 'https://calls.example.com' } })
  t.equal(server.telephony.callMode, 'stream')
  const url = new URL(server.telephony.streamUrl('call-1'))
  t.equal(`${url.origin}${url.pathname}`, 'wss://calls.example.com/media')
  t.equal(url.searchParams.get('sample-rate'), '8000')
  const grant = server.telephony.mediaTokens.verify(url.searchParams.get('token')!)
  t.match(grant, { callId: 'call-1', callSid: undefined }, "the token is bound to our call, before Exotel's Sid exists")
  t.ok('expiresAt' in grant && grant.expiresAt - Date.now() > 4 * 60_000, 'and lasts past the ringing')

  const { EXOTEL_CALLER_ID: _one, ...withoutNumber } = withoutApp
  const pooled = await build(t, { env: { ...withoutNumber, EXOTEL_CALLER_IDS: '+918000000001,+918000000002', PUBLIC_BASE_URL: 'https://calls.example.com' } })
  t.same(pooled.telephony.exotel.callerIds, ['+918000000001', '+918000000002'], 'a pool of numbers, without EXOTEL_CALLER_ID')

  const flowWithoutApp = Fastify({ pluginTimeout: 0 })
  flowWithoutApp.register(fp(app), { env: { DATA_DIR: 'memory://', ...withoutApp, EXOTEL_CALL_MODE: 'flow' } })
  await t.rejects(async () => { await flowWithoutApp.ready() }, {
    message: 'Invalid configuration: EXOTEL_CALL_MODE=flow needs EXOTEL_APP_ID (the Exotel app with the Voicebot applet)'
  })
})

t.test('without them, the simulator, reached back on the loopback address the server listens on', async (t) => {
  const { lines, logger } = capturingLogger()
  const server = await build(t, { logger, env: { EXOTEL_SIMULATOR_RING_MS: '0', EXOTEL_CALL_MODE: 'flow' } })
  t.equal(server.telephony.mode, 'simulator')
  t.throws(() => server.telephony.statusCallbackUrl(), /PUBLIC_BASE_URL is not set and the server is not listening/)
  await server.telephony.exotel.connect({
    to: '+919000000001', customField: 'x', statusCallback: 'http://127.0.0.1:9/exotel-webhook?token=secret-token-value'
  })
  for (let i = 0; i < 100 && !lines.some((line) => line.includes('a request to us failed')); i++) {
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const failure = lines.find((line) => line.includes('Exotel simulator: a request to us failed'))!
  t.match(JSON.parse(failure), { level: 40, url: 'http://127.0.0.1:9/exotel-webhook?token=[redacted]' },
    'a failed delivery is a warning, without the token')
  await server.listen({ host: '0.0.0.0', port: 0 })
  const { port } = server.server.address() as { port: number }
  t.match(server.telephony.statusCallbackUrl(), new RegExp(`^http://127\\.0\\.0\\.1:${port}/exotel-webhook\\?token=[\\w-]{32}$`))
})
