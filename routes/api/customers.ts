import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { importCustomers } from '../../lib/customers/import.js'
import { phoneNormaliser } from '../../lib/calling-rules/phone.js'
import { EMAIL } from '../../lib/customers/columns.js'
import { editCustomer, getCustomer, listCustomers } from '../../lib/customers/repository.js'
import { eraseCustomer } from '../../lib/customers/erase.js'
import { enqueue } from '../../lib/webhooks/webhooks.js'
import { MessageResponse } from '../../schemas/auth.js'
import { exportCustomer } from '../../lib/customers/export.js'
import { audited, auditingFirstTransaction } from '../../lib/audit/audit.js'
import { ErrorRef } from '../../schemas/common.js'
import {
  CustomerExport, CustomerList, CustomerListQuery, CustomerParams, CustomerResponse, EditCustomerBody, UploadFileBody, UploadReport
} from '../../schemas/customers.js'

const security = [{ bearerAuth: [] }]

const customers: FastifyPluginAsyncTypebox = async (fastify) => {
  const { DEFAULT_PHONE_REGION } = fastify.config
  const normalisePhone = phoneNormaliser(DEFAULT_PHONE_REGION)

  fastify.post('/upload-customers', {
    config: { role: 'operator' },
    schema: {
      tags: ['api'],
      operationId: 'uploadCustomers',
      summary: 'Upload customers from a CSV or .xlsx file (field "file"): new ones are added, known ones updated',
      description: 'Columns are matched by header: customer_id or id; name, customer_name or first_name + ' +
        'last_name; phone, phone_number, mobile or number (required); email; language. Every other column is kept ' +
        `as an attribute. Phones are stored in E.164 (numbers without a country code read as ${DEFAULT_PHONE_REGION}). ` +
        'Invalid rows are reported and skipped; the valid ones are written together or not at all.',
      security,
      consumes: ['multipart/form-data'],
      body: UploadFileBody,
      response: { 200: UploadReport, 400: ErrorRef, 401: ErrorRef, 413: ErrorRef, 415: ErrorRef }
    }
  }, async (request) => {
    return await request.withUploadedFile(async (file) => {
      // Recorded with the import's rows: a file refused as a whole leaves no entry (its upload row says why).
      const db = auditingFirstTransaction(fastify.db, request.actor(), {
        action: 'customers.uploaded', summary: `Uploaded ${file.fileName}`
      })
      const report = await importCustomers(db, {
        file,
        userSub: request.user!.sub,
        normalisePhone,
        onImported: async (tx, imported) => await enqueue(tx, 'upload.completed', {
          upload_id: imported.uploadId,
          file_name: file.fileName,
          total: imported.total,
          inserted: imported.inserted,
          updated: imported.updated,
          rejected: imported.rejected
        }, new Date())
      })
      request.log.info({ uploadId: report.uploadId, total: report.total, rejected: report.rejected }, 'customers uploaded')
      return {
        success: true as const,
        message: `Imported ${report.inserted + report.updated} of ${report.total} customer rows`,
        upload_id: report.uploadId,
        total: report.total,
        inserted: report.inserted,
        updated: report.updated,
        rejected: report.rejected,
        rejected_rows: report.rejectedRows,
        rejected_rows_not_shown: report.rejectedNotShown
      }
    })
  })

  fastify.get('/customers', {
    config: { role: 'viewer' },
    schema: {
      tags: ['api'],
      operationId: 'listCustomers',
      summary: 'Customers in upload order, a page at a time, with search and filters on the last call status and the upload',
      security,
      querystring: CustomerListQuery,
      response: { 200: CustomerList, 400: ErrorRef, 401: ErrorRef }
    }
  }, async (request) => {
    const { limit, offset, cursor, search, status, upload_id: uploadId, last_outcome: lastOutcome } = request.query
    const page = await listCustomers(fastify.db, { limit, offset, cursor, search, status, upload_id: uploadId, last_outcome: lastOutcome })
    return {
      success: true as const,
      customers: page.customers,
      total: page.total,
      limit,
      offset: cursor === undefined ? offset : 0,
      next_cursor: page.nextCursor
    }
  })

  fastify.get('/customers/:id', {
    config: { role: 'viewer' },
    schema: {
      tags: ['api'],
      operationId: 'getCustomer',
      summary: 'One customer',
      security,
      params: CustomerParams,
      response: { 200: CustomerResponse, 401: ErrorRef, 404: ErrorRef }
    }
  }, async (request, reply) => {
    const customer = await getCustomer(fastify.db, request.params.id)
    if (!customer) throw fastify.httpErrors.notFound('Customer not found')
    return { success: true as const, customer }
  })

  fastify.get('/customers/:id/export', {
    config: { role: 'operator' },
    schema: {
      tags: ['api'],
      operationId: 'exportCustomer',
      summary: 'Everything kept about one customer, as a JSON file: for a person who asks what is held about them',
      description: 'Their record, every call to them with its timeline and conversation (transcript, keys, outcome ' +
        'and its fields), and their number\'s do-not-call entry. India\'s DPDP Act (2023) gives people the right to this.',
      security,
      params: CustomerParams,
      response: { 200: CustomerExport, 401: ErrorRef, 404: ErrorRef }
    }
  }, async (request, reply) => {
    const record = await audited(fastify.db, request.actor(), (db) => exportCustomer(db, request.params.id),
      (found) => found && { action: 'customer.exported', target_type: 'customer', target_id: found.customer.id, summary: 'Everything kept about the customer, exported' })
    if (!record) throw fastify.httpErrors.notFound('Customer not found')
    request.log.info({ customerId: record.customer.id }, 'customer exported')
    const file = `customer-${record.customer.id.replace(/[^A-Za-z0-9_-]/g, '_')}.json`
    reply.header('content-disposition', `attachment; filename="${file}"`)
    return { success: true as const, exported_at: new Date(), ...record }
  })

  fastify.patch('/customers/:id', {
    config: { role: 'operator' },
    schema: {
      tags: ['api'],
      operationId: 'editCustomer',
      summary: 'Edit a customer: the fields given are set, and stay as set when a file is uploaded again',
      description: 'A phone is stored in E.164 (a national one read as DEFAULT_PHONE_REGION); an attribute set to null is ' +
        'removed. Each field changed is kept as edited: a later upload (an older file, say) does not overwrite it.',
      security,
      params: CustomerParams,
      body: EditCustomerBody,
      response: { 200: CustomerResponse, 400: ErrorRef, 401: ErrorRef, 404: ErrorRef }
    }
  }, async (request) => {
    const edit = { ...request.body }
    if (edit.phone !== undefined) {
      const result = normalisePhone(edit.phone)
      if ('error' in result) throw fastify.httpErrors.badRequest(`body.phone: ${result.error}`)
      edit.phone = result.phone
    }
    if (typeof edit.email === 'string' && !EMAIL.test(edit.email)) throw fastify.httpErrors.badRequest('body.email is not a valid address')
    const customer = await audited(fastify.db, request.actor(), (db) => editCustomer(db, request.params.id, edit),
      (edited) => edited && { action: 'customer.edited', target_type: 'customer', target_id: edited.id, summary: `Edited: ${Object.keys(edit).join(', ')}` })
    if (!customer) throw fastify.httpErrors.notFound('Customer not found')
    return { success: true as const, customer }
  })

  fastify.delete('/customers/:id', {
    config: { role: 'operator' },
    schema: {
      tags: ['api'],
      operationId: 'deleteCustomer',
      summary: 'Delete a customer, erasing their personal data everywhere it is kept',
      description: 'For India\'s DPDP Act (2023) right to erasure. Their row goes; their calls keep status, times and outcome ' +
        'for the counts, but lose the number, name, transcript, keys, outcome fields and events\' details, under an id ' +
        'that names no one. Calls queued for them are canceled; a call in progress refuses the deletion (409). A ' +
        'do-not-call entry for their number stays, so they are not called again.',
      security,
      params: CustomerParams,
      response: { 200: MessageResponse, 401: ErrorRef, 404: ErrorRef, 409: ErrorRef }
    }
  }, async (request, reply) => {
    // A call in progress refuses it (CallInFlightError, a 409).
    const erased = await audited(fastify.db, request.actor(), (db) => eraseCustomer(db, request.params.id),
      (done) => done && { action: 'customer.deleted', target_type: 'customer', target_id: request.params.id, summary: `Deleted, and erased from ${done.calls} calls` })
    if (!erased) throw fastify.httpErrors.notFound('Customer not found')
    await fastify.recordings.remove(erased.recordings)
    return { success: true as const, message: `Customer deleted: their number, name and what was said is erased from ${erased.calls} calls` }
  })
}

export default customers
