import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import rangeParser from 'range-parser'
import { callAnalytics, callSeries } from '../../lib/calls/analytics.js'
import { getCall, listCalls } from '../../lib/calls/calls.js'
import { explainCalls } from '../../lib/campaigns/campaigns.js'
import { pinAssistant } from '../../lib/assistant/store.js'
import { callNow } from '../../lib/calls/single-call.js'
import {
  AnalyticsQuery, AnalyticsResponse, CallDetail, CallExportQuery, CallList, CallListQuery, CallParams, CallResponse, ExportFile, RecordingFile,
  RecordingHeaders, SeriesQuery, SeriesResponse, TriggerSingleCallBody
} from '../../schemas/calls.js'
import { auditingFirstTransaction } from '../../lib/audit/audit.js'
import { resultsTable } from '../../lib/exports/results.js'
import { ErrorRef, IdempotencyHeaders } from '../../schemas/common.js'

const security = [{ bearerAuth: [] }]

const calls: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/trigger-single-call', {
    config: { role: 'operator', idempotent: true },
    schema: {
      tags: ['api'],
      operationId: 'triggerSingleCall',
      summary: 'Call one customer now',
      description: 'Dials the customer through Exotel and connects them to the voice assistant. The answer comes ' +
        'once Exotel has accepted the call (status initiated); follow it with GET /api/calls/:id. Single calls ' +
        'take the priority lane: dialled at once whatever batches are running, at any hour (the calling window is ' +
        "batches'), and counted toward the attempt cap without being held by it. A suppressed number is refused (409).",
      security,
      headers: IdempotencyHeaders,
      body: TriggerSingleCallBody,
      response: { 200: CallResponse, 400: ErrorRef, 401: ErrorRef, 404: ErrorRef, 409: ErrorRef, 429: ErrorRef, 502: ErrorRef, 503: ErrorRef, 504: ErrorRef }
    }
  }, async (request, reply) => {
    // Recorded with the call's row; the dial follows, outside any transaction.
    const db = auditingFirstTransaction(fastify.db, request.actor(), {
      action: 'call.started', target_type: 'customer', target_id: request.body.customer_id, summary: 'Single call'
    })
    const call = await callNow(db, fastify.telephony.exotel, {
      customerId: request.body.customer_id,
      assistant: await pinAssistant(fastify.db, request.body.assistant_id, fastify.telephony.callMode),
      triggeredBy: request.user!.sub,
      statusCallback: fastify.telephony.statusCallbackUrl()
    })
    request.log.info({ callId: call.id, exotelSid: call.exotel_sid }, 'call initiated')
    return { success: true as const, message: 'Call initiated', call }
  })

  fastify.get('/analytics', {
    config: { role: 'viewer' },
    schema: {
      tags: ['api'],
      operationId: 'getAnalytics',
      summary: 'What came of calls: dialled, answered, pick-up rate, outcomes, busy / no-answer / failed, talk time',
      description: 'Over every call, or those created in [since, until), or one batch\'s (`batch_id`).',
      security,
      querystring: AnalyticsQuery,
      response: { 200: AnalyticsResponse, 400: ErrorRef, 401: ErrorRef }
    }
  }, async (request) => {
    const { since, until, batch_id: batchId } = request.query
    const analytics = await callAnalytics(fastify.db, {
      batchId, since: since ? new Date(since) : undefined, until: until ? new Date(until) : undefined
    })
    return { success: true as const, analytics }
  })

  fastify.get('/analytics/series', {
    config: { role: 'viewer' },
    schema: {
      tags: ['api'],
      operationId: 'getAnalyticsSeries',
      summary: 'What the charts draw: pick-up over time, by hour of the day, attempts per customer, talk time, outcomes',
      description: 'For calls created in a period, or of one campaign. Hours and days are counted in the campaign\'s time ' +
        'zone, else in CALLING_TIMEZONE (`timezone` says which).',
      security,
      querystring: SeriesQuery,
      response: { 200: SeriesResponse, 400: ErrorRef, 401: ErrorRef }
    }
  }, async (request) => {
    const { since, until, batch_id: batchId, bucket } = request.query
    // A campaign's hours are its calling window's; a period's, CALLING_TIMEZONE's.
    const { rows: [window] } = batchId
      ? await fastify.db.query<{ timezone: string | null }>("SELECT calling_window ->> 'timezone' AS timezone FROM campaign WHERE id = $1", [batchId])
      : { rows: [] }
    const timezone = window?.timezone ?? fastify.campaignPolicy.defaultWindow.timezone
    const series = await callSeries(fastify.db, {
      batchId, since: since ? new Date(since) : undefined, until: until ? new Date(until) : undefined
    }, timezone, bucket)
    return { success: true as const, timezone, series }
  })

  fastify.get('/calls', {
    config: { role: 'viewer' },
    schema: {
      tags: ['api'],
      operationId: 'listCalls',
      summary: 'Calls, newest first, filtered by status, customer, batch or outcome',
      security,
      querystring: CallListQuery,
      response: { 200: CallList, 400: ErrorRef, 401: ErrorRef }
    }
  }, async (request) => {
    const { limit, offset, status, customer_id: customerId, batch_id: batchId, outcome } = request.query
    const outcomes = outcome?.flatMap((value) => value.split(','))
    const { calls, total } = await listCalls(fastify.db, { limit, offset, status, customerId, batchId, outcomes })
    return { success: true as const, calls: await explainCalls(fastify.db, calls, fastify.campaignPolicy.defaultWindow.timezone), total }
  })

  fastify.get('/calls/export', {
    config: { role: 'operator' },
    schema: {
      tags: ['api'],
      operationId: 'exportCalls',
      summary: 'The calls GET /api/calls would list, as a CSV or .xlsx file: a row a call, or (per=customer) a row a customer',
      description: 'Streamed, a page at a time: memory stays flat whatever the size. A row a call has its status, where it ' +
        'stands in words, the outcome, the outcome\'s fields and the customer\'s uploaded columns; a row a customer has their ' +
        'latest call, final outcome, attempts and talk time.',
      security,
      querystring: CallExportQuery,
      produces: ['text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
      response: { 200: ExportFile, 400: ErrorRef, 401: ErrorRef }
    }
  }, async (request, reply) => {
    const { format, per = 'attempt', status, customer_id: customerId, batch_id: batchId, outcome } = request.query
    const outcomes = outcome?.flatMap((value) => value.split(','))
    const table = await resultsTable(fastify.db, { status, customerId, batchId, outcomes }, per, fastify.campaignPolicy.defaultWindow.timezone)
    return reply.sendExport(table, format, `calls-${new Date().toISOString().slice(0, 10)}`)
  })

  fastify.get('/calls/:id', {
    config: { role: 'viewer' },
    schema: {
      tags: ['api'],
      operationId: 'getCall',
      summary: 'One call with its timeline',
      security,
      params: CallParams,
      response: { 200: CallDetail, 400: ErrorRef, 401: ErrorRef, 404: ErrorRef }
    }
  }, async (request, reply) => {
    const call = await getCall(fastify.db, request.params.id)
    if (!call) throw fastify.httpErrors.notFound('Call not found')
    const [explained] = await explainCalls(fastify.db, [{ ...call, outcome: call.conversation?.outcome ?? null }], fastify.campaignPolicy.defaultWindow.timezone)
    const recorded = await fastify.recordings.find(fastify.db, call.id)
    const recording = recorded
      ? { url: `/api/calls/${call.id}/recording`, started_at: recorded.started_at, duration_ms: recorded.duration_ms!, bytes: recorded.bytes! }
      : null
    return { success: true as const, call: { ...call, reason: explained!.reason, recording } }
  })

  fastify.get('/calls/:id/recording', {
    config: { role: 'viewer' },
    schema: {
      tags: ['api'],
      operationId: 'getCallRecording',
      summary: 'The call\'s recording, made by the server from its media stream, once the stream has ended',
      description: 'A stereo WAV file: the customer on the left channel, the assistant on the right, in time with each other. ' +
        'A `Range: bytes=...` request is answered with that part (206), so a player can seek.',
      security,
      params: CallParams,
      headers: RecordingHeaders,
      produces: ['audio/wav'],
      response: { 200: RecordingFile, 206: RecordingFile, 400: ErrorRef, 401: ErrorRef, 404: ErrorRef, 416: ErrorRef }
    }
  }, async (request, reply) => {
    const recording = await fastify.recordings.find(fastify.db, request.params.id)
    if (!recording) throw fastify.httpErrors.notFound('No recording of this call (not recorded, not ended yet, or deleted)')
    const size = recording.bytes!
    reply.type('audio/wav').header('accept-ranges', 'bytes').header('cache-control', 'private, max-age=3600')
    const asked = request.headers.range ? rangeParser(size, request.headers.range, { combine: true }) : undefined
    if (asked === -1) {
      reply.header('content-range', `bytes */${size}`)
      throw fastify.httpErrors.rangeNotSatisfiable(`The recording has ${size} bytes: that range is outside it`)
    }
    // A range that is not understood, or several, is answered with the whole file (as RFC 9110 allows).
    if (asked === undefined || asked === -2 || asked.type !== 'bytes' || asked.length !== 1) {
      return reply.header('content-length', size).send(await fastify.recordings.read(recording))
    }
    const { start, end } = asked[0]!
    return reply.code(206).header('content-range', `bytes ${start}-${end}/${size}`).header('content-length', end - start + 1)
      .send(await fastify.recordings.read(recording, { start, end }))
  })
}

export default calls
