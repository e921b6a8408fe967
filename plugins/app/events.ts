import fp from 'fastify-plugin'
import { EVENTS_CHANNEL, type LiveEvent } from '../../lib/calls/events.js'

export interface LiveEvents {
  /** Calls `listener` with every call and batch change, from any instance, until the returned function is called. */
  subscribe (listener: (event: LiveEvent) => void): () => void
}

declare module 'fastify' {
  interface FastifyInstance {
    events: LiveEvents
  }
}

/**
 * One LISTEN per instance on the database's event channel, fanned out to this instance's subscribers (the
 * event streams of connected clients). Changes are announced with NOTIFY in their own transactions, so every
 * instance hears every committed change.
 */
export default fp(async function events (fastify) {
  const listeners = new Set<(event: LiveEvent) => void>()
  const unlisten = await fastify.db.listen(EVENTS_CHANNEL, (payload) => {
    let event: LiveEvent
    try {
      event = JSON.parse(payload) as LiveEvent
    } catch {
      return fastify.log.warn({ channel: EVENTS_CHANNEL }, 'live events: a notification that is not JSON was skipped')
    }
    for (const listener of listeners) listener(event)
  })
  fastify.addHook('onClose', async () => await unlisten())
  fastify.decorate('events', {
    subscribe (listener) {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    }
  } satisfies LiveEvents)
}, { name: 'events', dependencies: ['db'] })
