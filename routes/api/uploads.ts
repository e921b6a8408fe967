import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { listUploads } from '../../lib/customers/repository.js'
import { ErrorRef } from '../../schemas/common.js'
import { PageQuery, UploadList } from '../../schemas/customers.js'

const uploads: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/uploads', {
    config: { role: 'viewer' },
    schema: {
      tags: ['api'],
      operationId: 'listUploads',
      summary: 'Customer uploads, newest first: who made each, when, and what came of it',
      security: [{ bearerAuth: [] }],
      querystring: PageQuery,
      response: { 200: UploadList, 401: ErrorRef }
    }
  }, async (request) => {
    const { uploads, total } = await listUploads(fastify.db, request.query.limit, request.query.offset)
    return { success: true as const, uploads, total }
  })
}

export default uploads
