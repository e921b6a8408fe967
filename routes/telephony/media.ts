import { databaseCallStore } from '../../lib/live-call/call-store.js'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { findCall, isTerminal } from '../../lib/calls/calls.js'
import { exotelMediaStream } from '../../lib/exotel/media-stream.js'
import { MediaSession } from '../../lib/live-call/session.js'
import { ErrorRef } from '../../schemas/common.js'
import { MEDIA_STREAM, StreamUrl, StreamUrlQuery } from '../../schemas/telephony.js'

// At the root: /ws-url and /media are the URLs Exotel flows already call.
export const prefixOverride = ''

const SAMPLE_RATES = new Set(['8000', '16000', '24000'])

/**
 * The live call: Exotel's Voicebot applet asks /ws-url where to stream (the answer carries a token bound to the
 * call), then connects to /media and streams the call's audio both ways.
 */
const media: FastifyPluginAsyncTypebox = async (fastify) => {
  const store = databaseCallStore(fastify.db, fastify.recording ? fastify.recordings : undefined)
  // Streams still open when the server closes end first, and their last words are written before the database closes.
  fastify.addHook('preClose', async () => await fastify.liveCalls.endAll('server closing'))
  fastify.get('/ws-url', {
    onRequest: fastify.telephony.requireWebhookToken,
    schema: {
      tags: ['telephony'],
      operationId: 'getStreamUrl',
      summary: "The Voicebot applet's dynamic URL: where to stream this call's audio",
      description: 'Answers `{"url": "wss://..."}`, or the bare URL as text/plain when asked with ' +
        '`Accept: text/plain`. The URL holds a token good once, for one minute, bound to the call named by `CallSid` ' +
        '(or `CustomField`, our call id); without either, the stream is bound to the call its `start` names. ' +
        '`sample-rate` (8000, 16000 or 24000) is passed on.\n\n**The WebSocket at that URL (`/media`).** ' + MEDIA_STREAM,
      security: [{ exotelToken: [] }],
      querystring: StreamUrlQuery,
      response: { 200: StreamUrl, 400: ErrorRef, 401: ErrorRef, 404: ErrorRef, 409: ErrorRef }
    }
  }, async (request, reply) => {
    const { CallSid: callSid, CustomField: customField, 'sample-rate': rate } = request.query
    // Exotel does not promise which parameters reach this URL: the call is found by its Sid, or by the CustomField
    // we set (our call id); with neither, the token is bound to its call when the stream's `start` names it.
    const call = callSid
      ? await findCall(fastify.db, { exotelSid: callSid })
      : customField ? await findCall(fastify.db, { id: customField }) : undefined
    if ((callSid || customField) && !call) throw fastify.httpErrors.notFound('Unknown call')
    if (call && isTerminal(call.status)) {
      throw fastify.httpErrors.conflict(`The call has ended (${call.status}): nothing may be streamed for it`)
    }
    const base = fastify.telephony.publicBaseUrl().replace(/^http/, 'ws')
    const url = new URL(`${base}/media`)
    url.searchParams.set('token', fastify.telephony.mediaTokens.issue(call?.id, callSid))
    url.searchParams.set('sample-rate', rate && SAMPLE_RATES.has(rate) ? rate : '8000')
    // Earlier versions answered the bare URL, and some flows may expect it (docs/exotel.md section 3); the schema
    // above describes the JSON answer, text goes as it is.
    if (request.headers.accept?.startsWith('text/plain')) return reply.type('text/plain').send(url.toString() as never)
    return { url: url.toString() }
  })

  fastify.get('/media', {
    websocket: true,
    // @fastify/websocket leaves WebSocket routes out of the document: GET /ws-url describes this one in words.
    schema: { tags: ['telephony'], summary: "Exotel's media stream for one call (WebSocket; token from /ws-url)" }
  }, (socket, request) => {
    const query = request.query as Record<string, string | undefined>
    // Exotel may send the token as the password of a Basic header (wss://user:token@host/...).
    const basic = /^Basic (.+)$/i.exec(request.headers.authorization ?? '')?.[1]
    const token = query.token ?? (basic ? Buffer.from(basic, 'base64').toString().split(':').slice(1).join(':') : undefined)
    const grant = fastify.telephony.mediaTokens.verify(token)
    if ('error' in grant) {
      request.log.info({ reason: grant.error }, 'media stream refused')
      socket.close(1008, grant.error)
      return
    }
    const live = new MediaSession({
      store,
      grant,
      protocol: exotelMediaStream,
      assistantFor: async (callId, pinned) => await fastify.assistants.forCall(callId, pinned),
      send: (frame) => { if (socket.readyState === socket.OPEN) socket.send(frame) },
      close: (code, reason) => socket.close(code, reason),
      aheadMs: fastify.config.MEDIA_SEND_AHEAD_MS,
      idleMs: fastify.config.MEDIA_IDLE_TIMEOUT_SECONDS * 1000,
      askedRate: Number(query['sample-rate']), // NaN without one: then the stream's own word is taken
      onQuality: (quality) => fastify.observeQuality(quality),
      log: (message, detail, level = 'info') => request.log[level](detail, message)
    })
    fastify.liveCalls.add(live)
    socket.on('message', (data) => live.handle(String(data)))
    socket.on('close', () => {
      // A stream that ends without a `stop` ends here; its last changes are written before it is let go.
      live.closed()
      live.settled().finally(() => fastify.liveCalls.delete(live))
    })
  })
}

export default media
