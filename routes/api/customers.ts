import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ErrorRef } from '../../schemas/common.js'

// The customer list arrives with the customer-upload work; until then the protected route answers an empty list.
const customers: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/customers', {
    schema: {
      tags: ['api'],
      summary: 'The uploaded customers',
      security: [{ bearerAuth: [] }],
      response: {
        200: Type.Object({ success: Type.Literal(true), customers: Type.Array(Type.Object({})), total: Type.Integer() }),
        401: ErrorRef
      }
    }
  }, async () => ({ success: true as const, customers: [], total: 0 }))
}

export default customers
