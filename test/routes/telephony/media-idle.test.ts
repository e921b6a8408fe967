import { once } from 'node:events'
import t from 'tap'
import WebSocket from 'ws'
import { applyReport, createCall, getCall } from '../../../lib/calls/calls.js'
import { build } from '../../helper.js'

const TOKEN = 'webhook-token-for-idle-tests'

t.test('a media stream silent longer than MEDIA_IDLE_TIMEOUT_SECONDS is closed, its conversation ended saying why', async (t) => {
  const app = await build(t, { env: { EXOTEL_WEBHOOK_TOKEN: TOKEN, MEDIA_IDLE_TIMEOUT_SECONDS: '1' } })
  await app.listen({ host: '127.0.0.1', port: 0 })
  await app.db.query("INSERT INTO customer (id, name, phone) VALUES ('IDLE', 'Idle', '+919000000006')")
  const call = await createCall(app.db, { customerId: 'IDLE', customerName: 'Idle', phone: '+919000000006', triggeredBy: 's', claimed: true })
  const sid = 'i'.repeat(32)
  await applyReport(app.db, { id: call.id }, { status: 'initiated', source: 'api', dedupeKey: 'dialled', exotelSid: sid })
  const url = (await app.inject({ url: `/ws-url?token=${TOKEN}&CallSid=${sid}` })).json().url as string

  const socket = new WebSocket(url)
  await once(socket, 'open')
  const started = Date.now()
  socket.send(JSON.stringify({ event: 'start', stream_sid: 's'.repeat(32), start: { call_sid: sid, media_format: {} } }))
  const media = { event: 'media', stream_sid: 's'.repeat(32), media: { payload: Buffer.alloc(320).toString('base64') } }
  for (let i = 0; i < 6; i++) { // audio keeps it open past the timeout
    await new Promise((resolve) => setTimeout(resolve, 300))
    socket.send(JSON.stringify(media))
  }
  const [code, reason] = await once(socket, 'close')
  t.same([code, String(reason)], [1000, 'no media'])
  t.ok(Date.now() - started >= 2800, 'not while audio came')
  let conversation = (await getCall(app.db, call.id))!.conversation
  for (let i = 0; i < 100 && !conversation?.stop_reason; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    conversation = (await getCall(app.db, call.id))!.conversation
  }
  t.equal(conversation?.stop_reason, 'no message for 1 s')
})
