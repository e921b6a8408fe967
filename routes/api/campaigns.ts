import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { renderTexts } from '../../lib/assistant/preview.js'
import { pinAssistant } from '../../lib/assistant/store.js'
import { callAnalytics } from '../../lib/calls/analytics.js'
import {
  campaignCalls, cancelCampaign, ChangedSinceError, createCampaign, getCampaign, listCampaigns, pauseCampaign,
  previewCampaign, resumeCampaign, startCampaign, updateDraft, type Campaign, type CampaignInput, type CampaignRow
} from '../../lib/campaigns/campaigns.js'
import { firstDial, type Schedule } from '../../lib/campaigns/plan.js'
import { defaultRules, type CampaignRules } from '../../lib/campaigns/rules.js'
import { customerNames, getCustomer } from '../../lib/customers/repository.js'
import {
  CampaignCalls, CampaignCanceled, CampaignDetail, CampaignList, CampaignListQuery, CampaignParams, CampaignPreview,
  CampaignResponse, CampaignStarted, CreateCampaignBody, PreviewQuery, StartCampaignBody, UpdateCampaignBody
} from '../../schemas/campaigns.js'
import { audited } from '../../lib/audit/audit.js'
import { resultsTable } from '../../lib/exports/results.js'
import { CampaignExportQuery, ExportFile } from '../../schemas/calls.js'
import { ErrorRef } from '../../schemas/common.js'
import type { Static } from '@sinclair/typebox'

const security = [{ bearerAuth: [] }]
const tags = ['campaigns']

type Body = Static<typeof UpdateCampaignBody>

/** A campaign as the API answers it: its selection summed up, not its (possibly 200 000) ids. */
function shown (campaign: Campaign) {
  const { selection, ...rest } = campaign
  return {
    ...rest,
    customer_count: selection && 'customer_ids' in selection ? new Set(selection.customer_ids).size : null,
    filter: selection && 'filter' in selection ? selection.filter : null
  }
}

/**
 * Campaigns: named, made as drafts, previewed (who would be dialled and skipped, and why) and started with the
 * preview's fingerprint, paused and resumed, canceled; with their results and their calls in plain words.
 */
const campaigns: FastifyPluginAsyncTypebox = async (fastify) => {
  const policy = fastify.campaignPolicy

  /** A campaign's own caller numbers, each one of the server's pool (400 naming the first that is not). */
  const ownNumbers = (numbers: string[] | null | undefined) => {
    const pool = fastify.telephony.exotel.callerIds
    const stranger = numbers?.find((number) => !pool.includes(number))
    if (stranger) {
      throw fastify.httpErrors.badRequest(`body.caller_ids: ${stranger} is not one of this server's caller numbers (EXOTEL_CALLER_IDS: ${pool.join(', ')})`)
    }
    return numbers
  }

  /** The rules given, each part left out taking its default. */
  const rulesOf = (given: Body['rules'], base: CampaignRules = defaultRules(policy)): CampaignRules => ({
    retry: given?.retry ?? base.retry,
    follow_up: given?.follow_up ?? base.follow_up,
    skip_final_within_days: given?.skip_final_within_days ?? base.skip_final_within_days
  })

  /** The schedule given, over what a draft has: refused (400) when its window never opens before its end. */
  const scheduleOf = (body: Body, base?: CampaignRow): Schedule => {
    const date = (given: string | null | undefined, kept: Date | null | undefined) =>
      given === undefined ? kept ?? undefined : given === null ? undefined : new Date(given)
    const schedule = {
      startAt: date(body.start_at, base?.start_at),
      endAt: date(body.end_at, base?.end_at),
      window: body.calling_window ?? base?.calling_window ?? policy.defaultWindow
    }
    firstDial(schedule)
    return schedule
  }

  const selectionOf = (body: Body, required: boolean): CampaignInput['selection'] | undefined => {
    if (body.customer_ids && body.filter) throw fastify.httpErrors.badRequest('Give customer_ids or a filter, not both')
    if (body.customer_ids) return { customer_ids: body.customer_ids }
    if (body.filter) return { filter: body.filter }
    if (required) throw fastify.httpErrors.badRequest('A campaign needs customers: give customer_ids, or a filter ({} for every customer)')
    return undefined
  }

  const found = async (id: string) => {
    const campaign = await getCampaign(fastify.db, id)
    if (!campaign) throw fastify.httpErrors.notFound('Campaign not found')
    return campaign
  }

  fastify.post('/campaigns', {
    config: { role: 'operator' },
    schema: {
      tags,
      operationId: 'createCampaign',
      summary: 'Make a campaign, as a draft: nobody is dialled until it is started',
      description: 'Name it, choose its customers (`customer_ids`, or a `filter` as GET /api/customers takes), its ' +
        'assistant, its schedule and its rules. Then GET .../preview shows who would be dialled and who skipped, and ' +
        'POST .../start with the preview\'s fingerprint starts it.',
      security,
      body: CreateCampaignBody,
      response: { 201: CampaignResponse, 400: ErrorRef, 401: ErrorRef, 404: ErrorRef, 409: ErrorRef }
    }
  }, async (request, reply) => {
    const body = request.body
    const selection = selectionOf(body, true)!
    const schedule = scheduleOf(body)
    // None named: the default assistant when the campaign starts.
    const assistant = body.assistant_id ? await pinAssistant(fastify.db, body.assistant_id, fastify.telephony.callMode) : undefined
    const callerIds = ownNumbers(body.caller_ids)
    const row = await audited(fastify.db, request.actor(),
      (db) => createCampaign(db, request.user!.sub, { name: body.name, selection, schedule, rules: rulesOf(body.rules), assistant, callerIds }),
      (made) => ({ action: 'campaign.created', target_type: 'campaign', target_id: made.id, summary: `Campaign "${made.name}" saved as a draft` }))
    request.log.info({ campaignId: row.id }, 'campaign made')
    return reply.code(201).send({ success: true as const, message: `Campaign "${row.name}" saved as a draft`, campaign: shown((await getCampaign(fastify.db, row.id))!) })
  })

  fastify.get('/campaigns', {
    config: { role: 'viewer' },
    schema: {
      tags,
      operationId: 'listCampaigns',
      summary: 'The latest campaigns, newest first, each with where it stands',
      security,
      querystring: CampaignListQuery,
      response: { 200: CampaignList, 400: ErrorRef, 401: ErrorRef }
    }
  }, async (request) => {
    const { campaigns, total } = await listCampaigns(fastify.db, request.query.limit, request.query.offset)
    return { success: true as const, campaigns: campaigns.map(shown), total }
  })

  fastify.get('/campaigns/:id', {
    config: { role: 'viewer' },
    schema: {
      tags,
      operationId: 'getCampaign',
      summary: 'A campaign: where it stands, its outcomes, and its analytics (every attempt)',
      security,
      params: CampaignParams,
      response: { 200: CampaignDetail, 400: ErrorRef, 401: ErrorRef, 404: ErrorRef }
    }
  }, async (request) => {
    const campaign = await found(request.params.id)
    return { success: true as const, campaign: { ...shown(campaign), analytics: await callAnalytics(fastify.db, { batchId: campaign.id }) } }
  })

  fastify.patch('/campaigns/:id', {
    config: { role: 'operator' },
    schema: {
      tags,
      operationId: 'updateCampaign',
      summary: 'Change a draft campaign (one that has started keeps what it started with: 409)',
      description: 'Each field given replaces what the draft had; `assistant_id: null` goes back to the default assistant.',
      security,
      params: CampaignParams,
      body: UpdateCampaignBody,
      response: { 200: CampaignResponse, 400: ErrorRef, 401: ErrorRef, 404: ErrorRef, 409: ErrorRef }
    }
  }, async (request) => {
    const body = request.body
    const before = await found(request.params.id)
    const schedule = body.start_at !== undefined || body.end_at !== undefined || body.calling_window ? scheduleOf(body, before) : undefined
    const assistant = body.assistant_id === null ? null : body.assistant_id === undefined ? undefined : await pinAssistant(fastify.db, body.assistant_id, fastify.telephony.callMode)
    const updated = await audited(fastify.db, request.actor(), (db) => updateDraft(db, before.id, {
      name: body.name,
      selection: selectionOf(body, false),
      schedule,
      rules: body.rules ? rulesOf(body.rules, before.rules) : undefined,
      assistant,
      callerIds: ownNumbers(body.caller_ids)
    }), (saved) => saved && {
      action: 'campaign.edited',
      target_type: 'campaign',
      target_id: saved.id,
      summary: `Draft "${saved.name}" edited: ${Object.keys(body).join(', ')}`
    })
    return { success: true as const, message: 'Campaign saved', campaign: shown((await getCampaign(fastify.db, updated!.id))!) }
  })

  fastify.get('/campaigns/:id/preview', {
    config: { role: 'viewer' },
    schema: {
      tags,
      operationId: 'previewCampaign',
      summary: 'Who starting this draft would dial, and who it would skip and why; what the first customers will hear',
      description: 'Skipped: in-progress (a call is queued or going on), suppressed (do-not-call), attempt-cap, ' +
        'recently-final (settled, e.g. confirmed, within the rules\' skip_final_within_days), missing-field (no value ' +
        'for a field the assistant says with no fallback), not-found. Start it with this answer\'s `fingerprint`.',
      security,
      params: CampaignParams,
      querystring: PreviewQuery,
      response: { 200: CampaignPreview, 400: ErrorRef, 401: ErrorRef, 404: ErrorRef, 409: ErrorRef }
    }
  }, async (request) => {
    const campaign = await found(request.params.id)
    if (campaign.status !== 'draft') throw fastify.httpErrors.conflict(`Only a draft has a preview: this campaign is ${campaign.status}`)
    const { plan, assistant: planned } = await previewCampaign(fastify.db, campaign, policy)
    const assistant = planned! // the server's default when the campaign names none: there always is one
    const dial = plan.calls.filter((call) => call.action === 'dial')
    const listed = plan.calls.slice(request.query.offset, request.query.offset + request.query.limit)
    const greetings = []
    for (const call of dial.slice(0, 3)) {
      const customer = (await getCustomer(fastify.db, call.customer_id))!
      const first = renderTexts(assistant.kind, assistant.config, customer).find((text) => text.said !== 'instructions')
      if (first) greetings.push({ customer_id: customer.id, name: customer.name, language: first.language, text: first.text })
    }
    const names = await customerNames(fastify.db, listed.map((call) => call.customer_id))
    const skipped = plan.calls.length - dial.length
    return {
      success: true as const,
      message: `Would dial ${dial.length} and skip ${skipped}, from ${plan.firstDialAt.toISOString()}`,
      fingerprint: plan.fingerprint,
      would_dial: dial.length,
      would_skip: skipped,
      skipped_by_reason: plan.skipped,
      first_dial_at: plan.firstDialAt,
      assistant: { id: assistant.id, version: assistant.version, name: assistant.name },
      greetings,
      calls: listed.map((call) => ({ ...call, name: names.get(call.customer_id) ?? null })),
      total: plan.calls.length
    }
  })

  fastify.post('/campaigns/:id/start', {
    config: { role: 'operator' },
    schema: {
      tags,
      operationId: 'startCampaign',
      summary: 'Start a draft, with the fingerprint of the preview the operator saw (202)',
      description: 'Refused (409, with the new counts) when who would be called has changed since that preview: a ' +
        'request that did not see who would be dialled dials nobody. Calls are dialled from start_at, inside the ' +
        'calling window.',
      security,
      params: CampaignParams,
      body: StartCampaignBody,
      response: { 202: CampaignStarted, 400: ErrorRef, 401: ErrorRef, 404: ErrorRef, 409: ErrorRef }
    }
  }, async (request, reply) => {
    let started
    try {
      started = await audited(fastify.db, request.actor(),
        (db) => startCampaign(db, request.params.id, request.user!.sub, request.body.fingerprint, policy),
        (result) => result && {
          action: 'campaign.started',
          target_type: 'campaign',
          target_id: request.params.id,
          summary: `Started: ${result.queued} customers to call`
        })
    } catch (error) {
      if (!(error instanceof ChangedSinceError)) throw error
      const dial = error.plan.calls.filter((call) => call.action === 'dial').length
      throw fastify.httpErrors.conflict(`Who would be called has changed since the preview: it would now dial ${dial} and ` +
        `skip ${error.plan.calls.length - dial}. Look at the preview again, then start with its fingerprint`)
    }
    if (!started) throw fastify.httpErrors.notFound('Campaign not found')
    const campaign = (await getCampaign(fastify.db, request.params.id))!
    request.log.info({ campaignId: campaign.id, queued: started.queued }, 'campaign started')
    return reply.code(202).send({
      success: true as const,
      message: `Started: ${started.queued} customers to call` + (started.firstDialAt.getTime() > Date.now() + 1000
        ? `, from ${started.firstDialAt.toISOString()}`
        : ''),
      campaign: shown(campaign),
      queued: started.queued,
      skipped_by_reason: started.skipped,
      first_dial_at: started.firstDialAt
    })
  })

  for (const [action, change, summary] of [
    ['pause', pauseCampaign, 'Pause: nobody more is dialled until it is resumed; calls in flight finish'],
    ['resume', resumeCampaign, 'Resume a paused campaign: what waits is dialled as its schedule allows']
  ] as const) {
    fastify.post(`/campaigns/:id/${action}`, {
      config: { role: 'operator' },
      schema: {
        tags,
        operationId: `${action}Campaign`,
        summary,
        security,
        params: CampaignParams,
        response: { 200: CampaignResponse, 400: ErrorRef, 401: ErrorRef, 404: ErrorRef, 409: ErrorRef }
      }
    }, async (request) => {
      const campaign = await audited(fastify.db, request.actor(), (db) => change(db, request.params.id),
        (changed) => changed && { action: `campaign.${action}d`, target_type: 'campaign', target_id: changed.id, summary: `Campaign "${changed.name}" ${changed.status}` })
      if (!campaign) throw fastify.httpErrors.notFound('Campaign not found')
      return { success: true as const, message: `Campaign ${campaign.status}`, campaign: shown(campaign) }
    })
  }

  fastify.post('/campaigns/:id/cancel', {
    config: { role: 'operator' },
    schema: {
      tags,
      operationId: 'cancelCampaign',
      summary: 'Cancel: calls not yet dialled are canceled and nothing more is queued; calls in flight finish',
      security,
      params: CampaignParams,
      response: { 200: CampaignCanceled, 400: ErrorRef, 401: ErrorRef, 404: ErrorRef, 409: ErrorRef }
    }
  }, async (request) => {
    const result = await audited(fastify.db, request.actor(), (db) => cancelCampaign(db, request.params.id),
      (canceled) => canceled && {
        action: 'campaign.canceled',
        target_type: 'campaign',
        target_id: canceled.campaign.id,
        summary: `Campaign "${canceled.campaign.name}" canceled: ${canceled.canceled} calls not yet dialled were canceled`
      })
    if (!result) throw fastify.httpErrors.notFound('Campaign not found')
    return { success: true as const, message: `Campaign canceled: ${result.canceled} calls not yet dialled were canceled`, ...result, campaign: shown(result.campaign) }
  })

  fastify.get('/campaigns/:id/export', {
    config: { role: 'operator' },
    schema: {
      tags,
      operationId: 'exportCampaign',
      summary: 'A campaign\'s results as a CSV or .xlsx file: a row a customer (the default), or a row a call (per=attempt)',
      description: 'A row a customer: their final outcome and its fields (each a column), attempts, last status and where ' +
        'it stands in words, talk time, and the columns of the uploaded file. Streamed: memory stays flat whatever the size.',
      security,
      params: CampaignParams,
      querystring: CampaignExportQuery,
      produces: ['text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
      response: { 200: ExportFile, 400: ErrorRef, 401: ErrorRef, 404: ErrorRef }
    }
  }, async (request, reply) => {
    const campaign = await found(request.params.id)
    const { format, per = 'customer' } = request.query
    const table = await resultsTable(fastify.db, { batchId: campaign.id }, per, fastify.campaignPolicy.defaultWindow.timezone)
    return reply.sendExport(table, format, `${campaign.name}-${per === 'customer' ? 'customers' : 'calls'}`)
  })

  fastify.get('/campaigns/:id/calls', {
    config: { role: 'viewer' },
    schema: {
      tags,
      operationId: 'listCampaignCalls',
      summary: "A campaign's calls, latest change first, each with where it stands in plain words",
      security,
      params: CampaignParams,
      querystring: CampaignListQuery,
      response: { 200: CampaignCalls, 400: ErrorRef, 401: ErrorRef, 404: ErrorRef }
    }
  }, async (request) => {
    const campaign = await found(request.params.id)
    return { success: true as const, ...await campaignCalls(fastify.db, campaign, request.query.limit, request.query.offset) }
  })
}

export default campaigns
