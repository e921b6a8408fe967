import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { addSuppressions, importSuppressions, listSuppressions, removeSuppression } from '../../lib/calling-rules/suppressions.js'
import { phoneNormaliser } from '../../lib/calling-rules/phone.js'
import { MessageResponse } from '../../schemas/auth.js'
import { audited, auditingFirstTransaction } from '../../lib/audit/audit.js'
import { ErrorRef } from '../../schemas/common.js'
import { UploadFileBody } from '../../schemas/customers.js'
import {
  AddSuppressionsBody, RemoveSuppressionQuery, SuppressionList, SuppressionsAdded, SuppressionUploadReport, SuppressionListQuery
} from '../../schemas/suppressions.js'

const security = [{ bearerAuth: [] }]

/** The suppression list: numbers never to call, checked when a batch is queued and before every dial and retry. */
const suppressions: FastifyPluginAsyncTypebox = async (fastify) => {
  const { DEFAULT_PHONE_REGION } = fastify.config
  const normalise = phoneNormaliser(DEFAULT_PHONE_REGION)
  // A + left unencoded in a query string arrives as a space.
  const normalisePhone = (raw: string) => normalise(/^ \d/.test(raw) ? `+${raw.slice(1)}` : raw)

  fastify.get('/suppressions', {
    config: { role: 'viewer' },
    schema: {
      tags: ['api'],
      operationId: 'listSuppressions',
      summary: 'Numbers never to call, newest first',
      security,
      querystring: SuppressionListQuery,
      response: { 200: SuppressionList, 400: ErrorRef, 401: ErrorRef }
    }
  }, async (request) => ({ success: true as const, ...await listSuppressions(fastify.db, request.query) }))

  fastify.post('/suppressions', {
    config: { role: 'operator' },
    schema: {
      tags: ['api'],
      operationId: 'addSuppressions',
      summary: 'Add numbers to the suppression list',
      description: 'Numbers are stored in E.164 (national ones read as ' + DEFAULT_PHONE_REGION + '). A batch ' +
        'queued after this skips them, and so does every dial and retry of calls already queued. Any invalid ' +
        'number refuses the whole request (400), naming it by position.',
      security,
      body: AddSuppressionsBody,
      response: { 201: SuppressionsAdded, 400: ErrorRef, 401: ErrorRef }
    }
  }, async (request, reply) => {
    const phones: string[] = []
    for (const [index, raw] of request.body.phones.entries()) {
      const result = normalisePhone(raw)
      if ('error' in result) throw fastify.httpErrors.badRequest(`phones[${index}]: ${result.error}`)
      phones.push(result.phone)
    }
    const { added, already } = await audited(fastify.db, request.actor(),
      (db) => addSuppressions(db, phones, request.body.reason ?? null, request.user!.sub),
      (result) => ({ action: 'do-not-call.added', target_type: 'do-not-call', summary: `Added ${result.added} numbers (${result.already} there already)` }))
    return reply.code(201).send({ success: true as const, message: `Added ${added} numbers to the suppression list`, added, already })
  })

  fastify.post('/suppressions/upload', {
    config: { role: 'operator' },
    schema: {
      tags: ['api'],
      operationId: 'uploadSuppressions',
      summary: 'Add the numbers of a CSV or .xlsx file (field "file") to the suppression list',
      description: 'The number column is named as in the customer file (phone, mobile, number, ...); a `reason` ' +
        'column is kept. Rows without a valid number are reported; the others are added together or not at all.',
      security,
      consumes: ['multipart/form-data'],
      body: UploadFileBody,
      response: { 200: SuppressionUploadReport, 400: ErrorRef, 401: ErrorRef, 413: ErrorRef, 415: ErrorRef }
    }
  }, async (request) => {
    return await request.withUploadedFile(async (file) => {
      const db = auditingFirstTransaction(fastify.db, request.actor(), {
        action: 'do-not-call.uploaded', target_type: 'do-not-call', summary: `Uploaded ${file.fileName}`
      })
      const report = await importSuppressions(db, {
        file, createdBy: request.user!.sub, normalisePhone
      })
      return {
        success: true as const,
        message: `Added ${report.added} numbers to the suppression list`,
        total: report.total,
        added: report.added,
        already: report.already,
        rejected: report.rejected,
        rejected_rows: report.rejectedRows
      }
    })
  })

  fastify.delete('/suppressions', {
    config: { role: 'operator' },
    schema: {
      tags: ['api'],
      operationId: 'removeSuppression',
      summary: 'Take a number off the suppression list',
      description: 'The number is a query parameter (kept out of the logs), e.g. ?phone=%2B919876543210.',
      security,
      querystring: RemoveSuppressionQuery,
      response: { 200: MessageResponse, 400: ErrorRef, 401: ErrorRef, 404: ErrorRef }
    }
  }, async (request, reply) => {
    const result = normalisePhone(request.query.phone)
    if ('error' in result) throw fastify.httpErrors.badRequest(result.error)
    const removed = await audited(fastify.db, request.actor(), (db) => removeSuppression(db, result.phone),
      (gone) => gone
        ? { action: 'do-not-call.removed', target_type: 'do-not-call', summary: `Took the number ending ${result.phone.slice(-4)} off the list` }
        : undefined)
    if (!removed) {
      throw fastify.httpErrors.notFound('That number is not on the suppression list')
    }
    return { success: true as const, message: 'Number taken off the suppression list' }
  })
}

export default suppressions
