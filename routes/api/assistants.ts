import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { previewAssistant } from '../../lib/assistant/preview.js'
import { rehearsalCallers, rehearse, REHEARSAL_SPEEDUP } from '../../lib/assistant/rehearsal.js'
import { checkSettings, handsOff, HANDOFF_OUTCOME, knownFields, outcomesOf } from '../../lib/assistant/settings.js'
import {
  archiveAssistant, assistantVersions, countAssistants, createAssistant, getAssistant, listAssistants, reviseAssistant,
  type AssistantKind, type StoredAssistant
} from '../../lib/assistant/store.js'
import type { AssistantConfig, ScriptedConfig } from '../../schemas/assistants.js'
import {
  AssistantFields, AssistantList, AssistantListQuery, AssistantParams, AssistantResponse, AssistantVersionList, ChangeAssistantBody,
  CreateAssistantBody, PreviewBody, PreviewResponse, RehearsalResponse, RehearseBody
} from '../../schemas/assistants.js'
import { getCustomer } from '../../lib/customers/repository.js'
import { LANGUAGES } from '../../lib/speech/languages.js'
import { MessageResponse } from '../../schemas/auth.js'
import { audited } from '../../lib/audit/audit.js'
import { ErrorRef } from '../../schemas/common.js'

const security = [{ bearerAuth: [] }]

/** The voice assistants: each change a new version, calls pinned to the version they used. */
const assistants: FastifyPluginAsyncTypebox = async (fastify) => {
  const shown = (assistant: StoredAssistant) => ({
    ...assistant,
    outcomes: outcomesOf(assistant.kind, assistant.config)
  })

  /** A 400 naming what is wrong with the settings, before anything is saved. */
  const checked = async (kind: AssistantKind, config: AssistantConfig) => {
    if (kind === 'openai' && !fastify.config.OPENAI_API_KEY) {
      throw fastify.httpErrors.badRequest('An OpenAI assistant needs OPENAI_API_KEY, which this server does not have')
    }
    if (handsOff(config) && !fastify.config.HANDOFF_AGENT_NUMBER) {
      throw fastify.httpErrors.badRequest(`config.outcomes: ${HANDOFF_OUTCOME} hands calls to a person, which needs HANDOFF_AGENT_NUMBER ` +
        '(the number Exotel rings), and this server has none')
    }
    const fields = await knownFields(fastify.db)
    try {
      checkSettings(kind, config, fields)
    } catch (error) { // a SettingsError, naming the problem
      throw fastify.httpErrors.badRequest((error as Error).message)
    }
  }

  const found = async (id: string) => {
    const assistant = await getAssistant(fastify.db, id)
    if (!assistant) throw fastify.httpErrors.notFound('Assistant not found')
    return assistant
  }

  fastify.post('/assistants', {
    config: { role: 'operator' },
    schema: {
      tags: ['api'],
      operationId: 'createAssistant',
      summary: 'Make a voice assistant (version 1)',
      description: 'A scripted assistant speaks its texts offline, in the customer\'s language when it has a text in ' +
        'it, and takes keypad choices; an OpenAI one talks through OpenAI Realtime (OPENAI_API_KEY). Templates ' +
        'naming a field no customer has, texts without the assistant\'s language, repeated keys and undeclared ' +
        'outcomes are refused (400), naming the field.',
      security,
      body: CreateAssistantBody,
      response: { 201: AssistantResponse, 400: ErrorRef, 401: ErrorRef }
    }
  }, async (request, reply) => {
    const { name, kind, config } = request.body
    await checked(kind, config)
    const assistant = await audited(fastify.db, request.actor(), (db) => createAssistant(db, {
      name, kind, config, createdBy: request.user!.sub, makeDefault: request.body.default
    }), (made) => ({ action: 'assistant.created', target_type: 'assistant', target_id: made.id, summary: `Assistant "${made.name}" created` }))
    return reply.code(201).send({ success: true as const, assistant: shown(assistant) })
  })

  fastify.get('/assistants', {
    config: { role: 'viewer' },
    schema: {
      tags: ['api'],
      operationId: 'listAssistants',
      summary: 'The assistants not archived, newest first, each at its latest version',
      security,
      querystring: AssistantListQuery,
      response: { 200: AssistantList, 400: ErrorRef, 401: ErrorRef }
    }
  }, async (request) => {
    const [list, total] = await Promise.all([listAssistants(fastify.db, request.query), countAssistants(fastify.db)])
    return { success: true as const, assistants: list.map(shown), total }
  })

  fastify.get('/assistants/fields', {
    config: { role: 'viewer' },
    schema: {
      tags: ['api'],
      operationId: 'listAssistantFields',
      summary: "The fields an assistant's templates may name: every customer's own, and every uploaded column",
      security,
      response: { 200: AssistantFields, 401: ErrorRef }
    }
  }, async () => ({
    success: true as const,
    fields: [...await knownFields(fastify.db)],
    languages: Object.entries(LANGUAGES).map(([code, language]) => ({ code, name: language.name }))
  }))

  fastify.get('/assistants/:id', {
    config: { role: 'viewer' },
    schema: {
      tags: ['api'],
      operationId: 'getAssistant',
      summary: 'One assistant at its latest version (archived ones too)',
      security,
      params: AssistantParams,
      response: { 200: AssistantResponse, 400: ErrorRef, 401: ErrorRef, 404: ErrorRef }
    }
  }, async (request) => ({ success: true as const, assistant: shown(await found(request.params.id)) }))

  fastify.patch('/assistants/:id', {
    config: { role: 'operator' },
    schema: {
      tags: ['api'],
      operationId: 'changeAssistant',
      summary: 'Change an assistant: a new version, the earlier ones kept as they were',
      description: 'Calls and batches already started keep the version they pinned. An archived assistant cannot change (409).',
      security,
      params: AssistantParams,
      body: ChangeAssistantBody,
      response: { 200: AssistantResponse, 400: ErrorRef, 401: ErrorRef, 404: ErrorRef, 409: ErrorRef }
    }
  }, async (request) => {
    const current = await found(request.params.id)
    const { kind, name = current.name, config = current.config, default: makeDefault } = request.body
    if (kind !== current.kind) throw fastify.httpErrors.badRequest(`body.kind: this assistant is ${current.kind}, and its kind cannot change`)
    await checked(kind, config)
    const assistant = await audited(fastify.db, request.actor(),
      (db) => reviseAssistant(db, current.id, { name, config, createdBy: request.user!.sub, makeDefault }),
      (revised) => revised && {
        action: 'assistant.changed', target_type: 'assistant', target_id: revised.id, summary: `Assistant "${revised.name}": version ${revised.version}`
      })
    if (!assistant) throw fastify.httpErrors.conflict('This assistant is archived: it cannot change')
    return { success: true as const, assistant: shown(assistant) }
  })

  fastify.delete('/assistants/:id', {
    config: { role: 'operator' },
    schema: {
      tags: ['api'],
      operationId: 'archiveAssistant',
      summary: 'Archive an assistant: no new call or batch uses it; its versions stay readable',
      description: 'The default assistant cannot be archived (409): make another the default first.',
      security,
      params: AssistantParams,
      response: { 200: MessageResponse, 400: ErrorRef, 401: ErrorRef, 404: ErrorRef, 409: ErrorRef }
    }
  }, async (request) => {
    const current = await found(request.params.id)
    if (current.archived_at) return { success: true as const, message: 'The assistant was already archived' }
    // Not archived when it is the default (whatever it was when read).
    const archived = await audited(fastify.db, request.actor(), (db) => archiveAssistant(db, current.id),
      (done) => done ? { action: 'assistant.archived', target_type: 'assistant', target_id: current.id, summary: `Assistant "${current.name}" archived` } : undefined)
    if (!archived) throw fastify.httpErrors.conflict('This is the default assistant: make another the default before archiving it')
    return { success: true as const, message: 'Assistant archived' }
  })

  fastify.get('/assistants/:id/versions', {
    config: { role: 'viewer' },
    schema: {
      tags: ['api'],
      operationId: 'listAssistantVersions',
      summary: "Every version of an assistant, newest first: what each call's pinned version said",
      security,
      params: AssistantParams,
      response: { 200: AssistantVersionList, 400: ErrorRef, 401: ErrorRef, 404: ErrorRef }
    }
  }, async (request) => {
    await found(request.params.id)
    return { success: true as const, versions: await assistantVersions(fastify.db, request.params.id) }
  })

  fastify.post('/assistants/:id/preview', {
    config: { role: 'operator' },
    schema: {
      tags: ['api'],
      operationId: 'previewAssistant',
      summary: 'What a customer would hear: every text rendered with their details, and spoken (scripted)',
      description: 'For an uploaded customer (customer_id) or sample fields. A scripted assistant\'s texts come with ' +
        'their audio as it will be spoken, as WAV (16-bit, 16 kHz) in base64.',
      security,
      params: AssistantParams,
      body: PreviewBody,
      response: { 200: PreviewResponse, 400: ErrorRef, 401: ErrorRef, 404: ErrorRef }
    }
  }, async (request) => {
    const assistant = await found(request.params.id)
    const preview = await previewAssistant(assistant.kind, assistant.config, await customerFor(request.body), fastify.speech)
    return { success: true as const, version: assistant.version, ...preview }
  })

  fastify.post('/assistants/:id/rehearse', {
    config: { role: 'operator' },
    schema: {
      tags: ['api'],
      operationId: 'rehearseAssistant',
      summary: "Rehearse an assistant against the simulator's callers: nobody is dialled",
      description: 'Runs the assistant\'s latest version through the real live-call path (media session, paced playback, ' +
        "Exotel's stream format over a WebSocket on loopback), ten times faster than a call, against five simulated " +
        'callers at once: one who confirms, one who asks for a callback, one who talks over the greeting, one who ' +
        'stays silent, one who presses a wrong key. Nobody is dialled, even with Exotel configured, and nothing is ' +
        'stored. An OpenAI assistant talks with the configured OpenAI model: the rehearsal uses (and is billed as) ' +
        'five short calls to it.',
      security,
      params: AssistantParams,
      body: RehearseBody,
      response: { 200: RehearsalResponse, 400: ErrorRef, 401: ErrorRef, 404: ErrorRef }
    }
  }, async (request) => {
    const stored = await found(request.params.id)
    const customer = await customerFor(request.body)
    // The waits for a key shrink with the caller's clock, so that a silent caller takes seconds, not a minute.
    const config = stored.kind === 'scripted'
      ? { ...stored.config, reply_timeout_seconds: (stored.config as ScriptedConfig).reply_timeout_seconds / REHEARSAL_SPEEDUP }
      : stored.config
    let assistant
    try {
      assistant = fastify.assistants.make(undefined, stored.kind, config)
    } catch (error) { // a NoAssistantError: an OpenAI assistant on a server with no key
      throw fastify.httpErrors.badRequest((error as Error).message)
    }
    const callers = await rehearse(assistant, rehearsalCallers(stored.kind, stored.config), customer)
    return { success: true as const, version: stored.version, speedup: REHEARSAL_SPEEDUP, callers }
  })

  /** The customer a preview or rehearsal is for: an uploaded one, or sample fields. */
  async function customerFor (body: { customer_id?: string, fields?: Record<string, string>, language?: string }) {
    const { customer_id: customerId, fields, language } = body
    if (customerId !== undefined && fields !== undefined) throw fastify.httpErrors.badRequest('body: give customer_id or fields, not both')
    if (customerId === undefined) {
      return { id: 'sample', name: fields?.name ?? null, phone: '+910000000000', language: language ?? null, attributes: fields ?? {} }
    }
    const customer = await getCustomer(fastify.db, customerId)
    if (!customer) throw fastify.httpErrors.notFound('Customer not found')
    return { ...customer, language: language ?? customer.language }
  }
}

export default assistants
