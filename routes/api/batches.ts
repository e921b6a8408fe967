import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { pinAssistant } from '../../lib/assistant/store.js'
import { callAnalytics } from '../../lib/calls/analytics.js'
import { cancelBatch, getBatch, listBatches } from '../../lib/calls/batches.js'
import { NothingToCallError, startNow } from '../../lib/campaigns/campaigns.js'
import { planCampaign } from '../../lib/campaigns/plan.js'
import { bulkCallRules } from '../../lib/campaigns/rules.js'
import {
  BatchCanceled, BatchDryRun, BatchList, BatchParams, BatchQueued, BatchResponse, TriggerBulkCallsBody
} from '../../schemas/calls.js'
import { PageQuery } from '../../schemas/customers.js'
import { audited } from '../../lib/audit/audit.js'
import { ErrorRef, IdempotencyHeaders } from '../../schemas/common.js'

const security = [{ bearerAuth: [] }]

const batches: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/trigger-bulk-calls', {
    config: { role: 'operator', idempotent: true },
    schema: {
      tags: ['api'],
      operationId: 'triggerBulkCalls',
      summary: 'Call many customers: queued at once (202), dialled within the rate and concurrency limits',
      description: 'Give `customer_ids`, or a `filter` like GET /api/customers takes (`{}` for every customer). ' +
        'Customers with a call already queued or in progress are skipped; suppressed numbers and customers at the ' +
        'attempt cap are skipped too, each with a canceled call saying why. Calls are dialled from `start_at`, only ' +
        'inside `calling_window`, and skipped if not dialled by `end_at`. `dry_run: true` answers 200 with what ' +
        'would happen to each customer, and dials nobody. Follow the batch with GET /api/batches/:id.',
      security,
      headers: IdempotencyHeaders,
      body: TriggerBulkCallsBody,
      response: { 200: BatchDryRun, 202: BatchQueued, 400: ErrorRef, 401: ErrorRef, 404: ErrorRef, 409: ErrorRef }
    }
  }, async (request, reply) => {
    const { customer_ids: customerIds, filter, start_at: startAt, end_at: endAt, calling_window: window, dry_run: dryRun } = request.body
    const assistant = await pinAssistant(fastify.db, request.body.assistant_id, fastify.telephony.callMode)
    if (!customerIds && !filter) {
      throw fastify.httpErrors.badRequest('Give customer_ids, or a filter ({} for every customer)')
    }
    const policy = fastify.campaignPolicy
    const options = {
      schedule: {
        startAt: startAt ? new Date(startAt) : undefined,
        endAt: endAt ? new Date(endAt) : undefined,
        window: window ?? policy.defaultWindow
      },
      attemptCap: policy.attemptCap,
      assistant
    }
    if (dryRun) {
      const plan = await planCampaign(fastify.db, customerIds ? { customerIds } : { filter: filter! }, { ...options, assistant: undefined })
      const wouldDial = plan.calls.filter((call) => call.action === 'dial').length
      return reply.code(200).send({
        success: true as const,
        dry_run: true as const,
        message: `Would queue ${wouldDial} calls and skip ${plan.calls.length - wouldDial}; nobody was dialled`,
        would_dial: wouldDial,
        would_skip: plan.calls.length - wouldDial,
        skipped_by_reason: plan.skipped,
        first_dial_at: plan.firstDialAt,
        calls: plan.calls
      })
    }
    let batch
    try {
      batch = await audited(fastify.db, request.actor(), (db) => startNow(db, request.user!.sub, {
        name: request.body.name ?? `Bulk call, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
        selection: customerIds ? { customer_ids: customerIds } : { filter: filter! },
        schedule: options.schedule,
        rules: bulkCallRules(policy),
        assistant
      }, options), (queued) => ({
        action: 'campaign.started',
        target_type: 'campaign',
        target_id: queued.id,
        summary: `Bulk call: ${queued.queued} customers queued`
      }))
    } catch (error) {
      if (error instanceof NothingToCallError) throw fastify.httpErrors.badRequest(error.message)
      throw error
    }
    request.log.info({ batchId: batch.id, queued: batch.queued }, 'batch queued')
    return reply.code(202).send({
      success: true as const,
      message: `Queued ${batch.queued} calls` + (batch.firstDialAt.getTime() > Date.now() + 1000
        ? `, to be dialled from ${batch.firstDialAt.toISOString()} (the calling window)`
        : ''),
      batch_id: batch.id,
      queued: batch.queued,
      skipped: (customerIds?.length ?? batch.plan.calls.length) - batch.queued,
      skipped_by_reason: batch.skipped,
      first_dial_at: batch.firstDialAt
    })
  })

  fastify.get('/batches', {
    config: { role: 'viewer' },
    schema: {
      tags: ['api'],
      operationId: 'listBatches',
      summary: 'The latest batches, newest first, each with its progress',
      security,
      querystring: PageQuery,
      response: { 200: BatchList, 400: ErrorRef, 401: ErrorRef }
    }
  }, async (request) => {
    const { batches, total } = await listBatches(fastify.db, request.query.limit, request.query.offset)
    return { success: true as const, batches, total }
  })

  fastify.get('/batches/:id', {
    config: { role: 'viewer' },
    schema: {
      tags: ['api'],
      operationId: 'getBatch',
      summary: "A batch's progress (each customer's latest attempt, by status) and analytics (every attempt)",
      security,
      params: BatchParams,
      response: { 200: BatchResponse, 400: ErrorRef, 401: ErrorRef, 404: ErrorRef }
    }
  }, async (request, reply) => {
    const batch = await getBatch(fastify.db, request.params.id)
    if (!batch) throw fastify.httpErrors.notFound('Batch not found')
    return { success: true as const, batch: { ...batch, analytics: await callAnalytics(fastify.db, { batchId: batch.id }) } }
  })

  fastify.post('/batches/:id/cancel', {
    config: { role: 'operator' },
    schema: {
      tags: ['api'],
      operationId: 'cancelBatch',
      summary: 'Stop a batch: calls not yet dialled are canceled, and nothing is retried',
      security,
      params: BatchParams,
      response: { 200: BatchCanceled, 400: ErrorRef, 401: ErrorRef, 404: ErrorRef }
    }
  }, async (request, reply) => {
    const canceled = await audited(fastify.db, request.actor(), (db) => cancelBatch(db, request.params.id),
      (count) => count === undefined
        ? undefined
        : { action: 'campaign.canceled', target_type: 'campaign', target_id: request.params.id, summary: `Canceled ${count} calls not yet dialled` })
    if (canceled === undefined) throw fastify.httpErrors.notFound('Batch not found')
    return { success: true as const, message: `Canceled ${canceled} calls not yet dialled`, canceled }
  })
}

export default batches
