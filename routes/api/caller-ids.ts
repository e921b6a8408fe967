import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { callerIdStats } from '../../lib/exotel/caller-ids.js'
import { CallerIdList, CallerIdQuery } from '../../schemas/caller-ids.js'
import { ErrorRef } from '../../schemas/common.js'

/** The ExoPhones calls are placed from, each with how its calls went: a number customers stop answering shows here. */
const callerIds: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/caller-ids', {
    config: { role: 'viewer' },
    schema: {
      tags: ['api'],
      operationId: 'listCallerIds',
      summary: 'The ExoPhones calls are placed from, with their dials, answers and failures over the last hours',
      security: [{ bearerAuth: [] }],
      querystring: CallerIdQuery,
      response: { 200: CallerIdList, 400: ErrorRef, 401: ErrorRef }
    }
  }, async (request) => {
    const hours = request.query.hours! // (24 unless asked)
    return { success: true as const, hours, caller_ids: await callerIdStats(fastify.db, fastify.telephony.exotel.callerIds, hours) }
  })
}

export default callerIds
