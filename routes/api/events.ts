import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { LiveEvent } from '../../lib/calls/events.js'
import { ErrorRef } from '../../schemas/common.js'
import { EventsQuery, LiveEvent as LiveEventSchema } from '../../schemas/events.js'

const events: FastifyPluginAsyncTypebox = async (fastify) => {
  const heartbeatMs = fastify.config.EVENTS_HEARTBEAT_SECONDS * 1000
  // Streams never end by themselves: a closing server ends them, or it would wait for them forever.
  const streams = new Set<() => void>()
  fastify.addHook('preClose', async () => { for (const end of streams) end() })

  fastify.get('/events', {
    config: { role: 'viewer' },
    schema: {
      tags: ['api'],
      operationId: 'streamEvents',
      summary: 'Live call and batch changes, as server-sent events (every instance sees every change)',
      description: 'text/event-stream: `event: call` with `{id, customer_id, batch_id, attempt, status, exotel_sid, ' +
        'updated_at}`, `event: batch` with `{id, change, calls}`, `event: conversation` with `{call_id, batch_id}` and ' +
        'what changed on the live call (`line`, `digit`, `bargeIn`, `outcome`, `problem`, `end`). `?batch_id=` keeps one batch\'s events. A comment ' +
        'line every EVENTS_HEARTBEAT_SECONDS keeps proxies from closing the stream.',
      security: [{ bearerAuth: [] }],
      querystring: EventsQuery,
      produces: ['text/event-stream'],
      response: {
        200: {
          description: 'The stream: it stays open, one message per change',
          content: { 'text/event-stream': { schema: LiveEventSchema } }
        },
        400: ErrorRef,
        401: ErrorRef
      }
    }
  }, async (request, reply) => {
    const { batch_id: batchId } = request.query
    const batchOf = (event: LiveEvent) =>
      event.type === 'call' ? event.call.batch_id : event.type === 'batch' ? event.batch.id : event.conversation.batch_id
    const wanted = (event: LiveEvent) => !batchId || batchOf(event) === batchId
    reply.hijack()
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no'
    })
    reply.raw.write(': connected\n\n')
    const unsubscribe = fastify.events.subscribe((event) => {
      if (!wanted(event)) return
      const data = event.type === 'call' ? event.call : event.type === 'batch' ? event.batch : event.conversation
      reply.raw.write(`event: ${event.type}\ndata: ${JSON.stringify(data)}\n\n`)
    })
    const heartbeat = setInterval(() => reply.raw.write(': heartbeat\n\n'), heartbeatMs)
    const end = () => reply.raw.end()
    streams.add(end)
    request.raw.on('close', () => {
      clearInterval(heartbeat)
      unsubscribe()
      streams.delete(end)
    })
  })
}

export default events
