import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { applyReport } from '../../lib/calls/calls.js'
import { handOffAsked, recordHandOff } from '../../lib/calls/conversation.js'
import { readPassthru, readStatusCallback, readStreamPassthru, type Fields } from '../../lib/exotel/callbacks.js'
import { ErrorRef } from '../../schemas/common.js'
import { AgentNumber, StatusCallbackBody, StreamPassthruBody, WebhookQuery, WebhookResponse } from '../../schemas/telephony.js'

// At the root, not under /telephony: /exotel-webhook and /passthru-handler are the URLs Exotel flows already call.
export const prefixOverride = ''

const exotelToken = [{ exotelToken: [] }]

/**
 * What Exotel calls: the StatusCallback of each call we placed and the Passthru applet of our flow. Exotel signs
 * nothing, so the URLs we give it carry a token; a request without it gets 401.
 */
const exotel: FastifyPluginAsyncTypebox = async (fastify) => {
  // Exotel's form posts: urlencoded here; multipart through the multipart plugin; JSON by default.
  fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))))

  fastify.post('/exotel-webhook', {
    onRequest: fastify.telephony.requireWebhookToken,
    schema: {
      tags: ['telephony'],
      operationId: 'receiveStatusCallback',
      summary: "Exotel's StatusCallback: a call was answered or ended",
      description: 'Multipart form data (Exotel\'s default), urlencoded or JSON; form arrays flattened as ' +
        '`Legs[0][Status]`. Repeated and late callbacks never move a call back. Found by `CallSid`; one that beats ' +
        'our record of the dial\'s Sid is found by `CustomField` (our call id).',
      security: exotelToken,
      consumes: ['multipart/form-data', 'application/x-www-form-urlencoded', 'application/json'],
      body: StatusCallbackBody,
      querystring: WebhookQuery,
      response: { 200: WebhookResponse, 400: ErrorRef, 401: ErrorRef }
    }
  }, async (request, reply) => {
    const fields = request.isMultipart() ? await multipartFields(request).catch(() => undefined) : request.body
    if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
      throw fastify.httpErrors.badRequest('The callback has no readable fields')
    }
    const callback = readStatusCallback(fields as Fields)
    if ('error' in callback) throw fastify.httpErrors.badRequest(callback.error)
    const result = await applyReport(fastify.db, { exotelSid: callback.sid, customField: callback.customField }, {
      status: callback.status,
      source: 'exotel-callback',
      dedupeKey: `callback:${callback.eventType}`,
      answeredBy: callback.answeredBy,
      durationSeconds: callback.durationSeconds,
      recordingUrl: callback.recordingUrl,
      detail: { event_type: callback.eventType }
    })
    if (!result) {
      request.log.warn({ exotelSid: callback.sid }, 'Exotel callback for a call we do not know')
      return { success: true as const, message: 'Unknown call; ignored' }
    }
    return { success: true as const, message: result.changed ? `Call ${result.call.status}` : 'Already recorded' }
  })

  fastify.get('/passthru-handler', {
    onRequest: fastify.telephony.requireWebhookToken,
    schema: {
      tags: ['telephony'],
      operationId: 'receivePassthru',
      summary: "Exotel's Passthru applet: the flow reached us (the customer answered, the assistant's part ended, an agent's leg ended)",
      description: 'A GET with query parameters (CallSid, CallStatus, digits, Stream[...], DialCallStatus, ...), recorded on the ' +
        'call\'s timeline, answered 200. After the Voicebot applet (Stream[...] given), a call the assistant handed to a person ' +
        'is answered 302 instead: the flow\'s 302 branch goes on to the Connect applet that rings the agents. ' +
        'After the Connect applet (DialCallStatus given) it records whether an agent took the call.',
      security: exotelToken,
      querystring: WebhookQuery,
      response: { 200: WebhookResponse, 302: WebhookResponse, 400: ErrorRef, 401: ErrorRef }
    }
  }, async (request, reply) => {
    const passthru = readPassthru(request.query as Fields)
    if ('error' in passthru) throw fastify.httpErrors.badRequest(passthru.error)
    const agent = passthru.dial && { agent_answered: passthru.dial.status === 'completed', dial_status: passthru.dial.status, seconds: passthru.dial.seconds ?? null }
    const detail = agent ? { handoff: agent } : { digits: passthru.digits ?? null, stream: passthru.stream ?? null }
    const result = await applyReport(fastify.db, { exotelSid: passthru.sid, customField: passthru.customField }, {
      status: passthru.status ?? 'in-progress',
      source: 'passthru',
      dedupeKey: `passthru:${JSON.stringify(detail)}`,
      detail
    })
    if (!result) {
      request.log.warn({ exotelSid: passthru.sid }, 'Passthru for a call we do not know')
      return { success: true as const, message: 'OK' }
    }
    if (agent) {
      await recordHandOff(fastify.db, result.call.id, agent.agent_answered)
      return { success: true as const, message: agent.agent_answered ? 'An agent took the call' : 'No agent took the call' }
    }
    // The flow's 200 branch is what it has always been; only a hand-off takes the 302 branch, to the agents.
    if (passthru.stream && await handOffAsked(fastify.db, result.call.id)) {
      return reply.code(302).send({ success: true as const, message: 'Hand-off: on to the agents' })
    }
    return { success: true as const, message: 'OK' }
  })

  fastify.get('/handoff-agent', {
    onRequest: fastify.telephony.requireWebhookToken,
    schema: {
      tags: ['telephony'],
      operationId: 'handOffAgentNumber',
      summary: "The number the flow's Connect applet rings when an assistant hands a call to a person",
      description: 'The Connect applet\'s "Dial whom: a number returned by a URL": HANDOFF_AGENT_NUMBER, as plain text.',
      security: exotelToken,
      querystring: WebhookQuery,
      response: { 200: AgentNumber, 401: ErrorRef, 404: ErrorRef }
    }
  }, async (request, reply) => {
    const number = fastify.config.HANDOFF_AGENT_NUMBER
    if (!number) throw fastify.httpErrors.notFound('No HANDOFF_AGENT_NUMBER: this server hands no call to a person')
    return reply.type('text/plain').send(number)
  })

  fastify.post('/passthru-handler', {
    onRequest: fastify.telephony.requireWebhookToken,
    schema: {
      operationId: 'receiveStreamPassthru',
      tags: ['telephony'],
      summary: "Exotel's Passthru applet for streams: a call's stream started or stopped",
      description: 'JSON (or urlencoded) `CallSid`, `StreamSid`, `StreamUrl`, `EventType` (`stream-start`, `stream-stop`), ' +
        '`From`, `To`, `Direction`, recorded on the call\'s timeline (the URL and the numbers are not kept).',
      security: exotelToken,
      querystring: WebhookQuery,
      body: StreamPassthruBody,
      response: { 200: WebhookResponse, 400: ErrorRef, 401: ErrorRef }
    }
  }, async (request, reply) => {
    const passthru = readStreamPassthru(request.body)
    if ('error' in passthru) throw fastify.httpErrors.badRequest(passthru.error)
    const detail = { event_type: passthru.eventType, stream_sid: passthru.streamSid ?? null, direction: passthru.direction ?? null }
    const result = await applyReport(fastify.db, { exotelSid: passthru.sid }, {
      status: 'in-progress',
      source: 'passthru',
      dedupeKey: `passthru:${passthru.eventType}:${passthru.streamSid ?? ''}`,
      detail
    })
    if (!result) request.log.warn({ exotelSid: passthru.sid }, 'Stream Passthru for a call we do not know')
    return { success: true as const, message: 'OK' }
  })
}

/** The text fields of a multipart body; any file part is read and dropped. */
async function multipartFields (request: FastifyRequest): Promise<Fields> {
  const fields: Fields = {}
  for await (const part of request.parts()) {
    if (part.type === 'field') fields[part.fieldname] = part.value
    else await part.toBuffer()
  }
  return fields
}

export default exotel
