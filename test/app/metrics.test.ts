import { createServer } from 'node:net'
import { Gauge } from 'prom-client'
import t from 'tap'
import { build } from '../helper.js'

const TOKEN = 'metrics-token-0123456789'

/** A port free at this moment. */
async function freePort (): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

interface Sample { name: string, labels: Record<string, string>, value: number }

/**
 * The scraped text read as a Prometheus server reads the text format: each sample (`name{label="value",...} number`)
 * and each family's TYPE. Written here: the one parser on npm for it drops the labels of prom-client's histograms.
 */
function parsed (text: string) {
  const types: Record<string, string> = {}
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line)
    if (type) types[type[1]!] = type[2]!
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!sample) continue
    const labels = Object.fromEntries([...(sample[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((label) => [label[1]!, label[2]!]))
    samples.push({ name: sample[1]!, labels, value: Number(sample[3]) })
  }
  return {
    types,
    samples,
    value: (name: string, labels: Record<string, string> = {}) =>
      samples.find((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))?.value
  }
}

t.test('GET /metrics answers the Prometheus text format to the token, and nothing to anyone else', async (t) => {
  const port = await freePort()
  const app = await build(t, { env: { METRICS_TOKEN: TOKEN, METRICS_PORT: String(port), HOST: '127.0.0.1' } })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.same((await app.inject({ url: '/metrics' })).json(), { success: false, message: 'The metrics token (METRICS_TOKEN) is missing or wrong' })
  t.equal((await app.inject({ url: '/metrics', headers: { authorization: 'Bearer metrics-token-0123456780' } })).statusCode, 401)

  await app.inject({ url: '/ready' })
  await app.inject({ url: '/no-such-page' })
  await app.db.query(`INSERT INTO webhook (id, url, events, secret, created_by, enabled)
    VALUES ('00000000-0000-4000-8000-000000000001', 'http://127.0.0.1:9/', '{upload.completed}', 'whsec_x', 't', false)`)
  await app.db.query('INSERT INTO webhook_delivery (webhook_id, event, payload, next_attempt_at) VALUES (\'00000000-0000-4000-8000-000000000001\', \'upload.completed\', \'{}\', now() - interval \'40 seconds\')')
  const scraped = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } })
  t.equal(scraped.statusCode, 200)
  t.match(scraped.headers['content-type'], /^text\/plain; version=0\.0\.4/)
  const metrics = parsed(scraped.body)
  t.equal(metrics.value('vcm_live_streams'), 0)
  t.equal(metrics.value('vcm_calls_in_flight'), 0)
  t.equal(metrics.value('vcm_calls_due'), 0)
  t.equal(metrics.value('vcm_draining'), 0)
  t.equal(metrics.value('vcm_webhook_outbox_backlog'), 1, 'a delivery due')
  t.ok(metrics.value('vcm_webhook_lag_seconds')! >= 40, 'waiting 40 s and more')
  t.equal(metrics.types.vcm_http_request_duration_seconds, 'histogram')
  t.equal(metrics.value('vcm_http_request_duration_seconds_count', { method: 'GET', route: '/ready', status_code: '200' }), 1, 'latency by route')
  t.equal(metrics.value('vcm_http_request_duration_seconds_count', { route: 'unmatched', status_code: '404' }), 1,
    'one label for every path that matched none')
  t.equal(metrics.value('vcm_http_request_duration_seconds_count', { route: '/metrics', status_code: '401' }), 2)
  t.ok(metrics.value('vcm_http_request_duration_seconds_bucket', { route: '/ready', le: '+Inf' }) === 1, 'its buckets')
  t.ok(metrics.value('nodejs_eventloop_lag_p99_seconds')! >= 0, 'the event loop\'s delay')

  // The same on a port of its own, with no token.
  const ownPort = await fetch(`http://127.0.0.1:${port}/metrics`)
  t.equal(ownPort.status, 200)
  t.equal(parsed(await ownPort.text()).value('vcm_live_streams'), 0, 'METRICS_PORT: the same metrics')
  t.equal((await fetch(`http://127.0.0.1:${port}/other`)).status, 404)
  // A metric that cannot be read fails the scrape, said in the log.
  app.metrics.registerMetric(new Gauge({ name: 'broken', help: 'fails', registers: [], collect () { throw new Error('unreadable') } }))
  t.equal((await fetch(`http://127.0.0.1:${port}/metrics`)).status, 500)
  app.metrics.removeSingleMetric('broken')

  // Each call's quality numbers, as its stream ends here.
  const quiet = { response_delays_ms: [], barge_in_reactions_ms: [], underruns: 0, stream_gaps: 0, longest_gap_ms: 0, late_frames: 0, model_delays_ms: [] }
  app.observeQuality({ ...quiet, first_audio_ms: null }) // a stream that ended before the assistant spoke
  app.observeQuality({ ...quiet, first_audio_ms: 450, response_delays_ms: [700, 1200], barge_in_reactions_ms: [250], model_delays_ms: [600], underruns: 2, stream_gaps: 1 })
  const calls = parsed((await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } })).body)
  t.equal(calls.value('vcm_call_first_audio_seconds_count'), 1)
  t.equal(calls.value('vcm_call_first_audio_seconds_bucket', { le: '0.5' }), 1, 'in its bucket')
  t.equal(calls.value('vcm_call_response_delay_seconds_count'), 2)
  t.equal(calls.value('vcm_call_response_delay_seconds_sum'), 1.9)
  t.equal(calls.value('vcm_call_barge_in_reaction_seconds_count'), 1)
  t.equal(calls.value('vcm_call_model_delay_seconds_count'), 1)
  t.equal(calls.value('vcm_call_underruns_total'), 2)
  t.equal(calls.value('vcm_call_stream_gaps_total'), 1)

  const drained = app.drain()
  t.equal(parsed((await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } })).body).value('vcm_draining'), 1, 'draining')
  await drained
})

t.test('without METRICS_TOKEN, /metrics is off', async (t) => {
  const app = await build(t)
  t.same((await app.inject({ url: '/metrics' })).json(), { success: false, message: 'Metrics are off here: set METRICS_TOKEN, or METRICS_PORT' })
})
