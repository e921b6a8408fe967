import { setTimeout as sleep } from 'node:timers/promises'
import fp from 'fastify-plugin'
import { LiveCalls } from '../../lib/live-call/live-calls.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The live calls this instance serves. */
    liveCalls: LiveCalls
    /** True once a drain has begun: /ready answers 503 and nothing more is claimed here. */
    draining: boolean
    /**
     * A deploy's first SIGTERM: the instance takes no new work and lets its live calls end on their own, for at most
     * DRAIN_SECONDS; then (or at `endDrain`) the calls still live are ended, each with the reason recorded.
     * Resolves when no call is live; the caller then closes the server.
     */
    drain (): Promise<void>
    /** A second SIGTERM: the calls still live are ended now, with `reason`. */
    endDrain (reason: string): void
  }
}

export default fp(async function drain (fastify) {
  const liveCalls = new LiveCalls()
  let interrupt!: (reason: string) => void
  const interrupted = new Promise<string>((resolve) => { interrupt = resolve })
  const abort = new AbortController()
  fastify.addHook('onClose', async () => abort.abort())
  fastify.decorate('liveCalls', liveCalls)
  fastify.decorate('draining', false)
  fastify.decorate('endDrain', (reason: string) => interrupt(reason))
  fastify.decorate('drain', async function () {
    fastify.draining = true
    fastify.dispatcher.stopClaiming()
    const seconds = fastify.config.DRAIN_SECONDS
    fastify.log.info({ liveCalls: liveCalls.size, drainSeconds: seconds }, 'draining: no new work here; live calls go on to their end')
    const ended = await Promise.race([
      liveCalls.none().then(() => undefined),
      sleep(seconds * 1000, `the server stopped: its ${seconds} s to drain ran out`, { signal: abort.signal }).catch(() => undefined),
      interrupted
    ])
    if (ended) {
      fastify.log.warn({ liveCalls: liveCalls.size, reason: ended }, 'draining: live calls ended before their end')
      await liveCalls.endAll(ended)
    } else {
      fastify.log.info('drained: no live call left')
    }
  })
}, { name: 'drain', dependencies: ['dispatcher', 'env'] })
