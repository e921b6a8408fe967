import fp from 'fastify-plugin'
import { EchoAssistant } from '../../lib/assistant/echo.js'
import { ensureFirstAssistant } from '../../lib/assistant/first-assistant.js'
import { AssistantRegistry } from '../../lib/assistant/registry.js'
import type { SpeechEngine } from '../../lib/speech/engine.js'
import { Speech } from '../../lib/speech/speech.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The voice assistants that talk on answered calls, each call's own version. */
    assistants: AssistantRegistry
    /** The embedded speech engine (in a worker thread), with its cache of sentences. */
    speech: Speech
  }
}

export interface AssistantsPluginOptions {
  /**
   * A speech engine (its thread) to use instead of one of the app's own: the tests' apps in one process share one,
   * which loads once. The app does not close it.
   */
  speechEngine?: SpeechEngine
}

/**
 * Assistants are data (/api/assistants). On a new deployment the first one, the default, is made from what the
 * environment variables chose before: ASSISTANT (auto: OpenAI with OPENAI_API_KEY, else scripted),
 * ASSISTANT_PROMPT, OPENAI_VOICE, OPENAI_REALTIME_MODEL, ASSISTANT_REPLY_TIMEOUT_MS. ASSISTANT=echo puts the echo
 * on every call instead (line tests, benchmarks).
 */
export default fp(async function assistants (fastify, opts: AssistantsPluginOptions) {
  const config = fastify.config
  const speech = new Speech(config.SPEECH_CACHE_MB * 1024 * 1024, opts.speechEngine)
  fastify.decorate('speech', speech)
  fastify.addHook('onClose', async () => { await speech.close() })
  if (config.SPEECH_WARM_UP) {
    // In the background, once the server is up: loading the engine takes a few hundred milliseconds that the
    // first answered call would otherwise wait.
    fastify.addHook('onReady', async () => {
      const started = performance.now()
      speech.warmUp().then(
        (done) => { if (done) fastify.log.info({ ms: Math.round(performance.now() - started) }, 'speech engine ready') },
        /* c8 ignore next: the engine is installed with the server; it fails to load only from a broken install */
        (error: Error) => fastify.log.error({ err: error }, 'speech engine did not start'))
    })
  }
  const registry = new AssistantRegistry(fastify.db, {
    speech,
    openai: config.OPENAI_API_KEY
      ? { apiKey: config.OPENAI_API_KEY, url: config.OPENAI_REALTIME_URL, transcribeModel: config.OPENAI_TRANSCRIBE_MODEL, passMulaw: config.OPENAI_PASS_MULAW }
      : undefined,
    override: config.ASSISTANT === 'echo' ? new EchoAssistant() : undefined
  })
  fastify.decorate('assistants', registry)
  // Once Exotel has taken a call (`initiated`, once a call), its first words are made while the phone rings (seconds,
  // usually): said the moment the customer answers.
  fastify.events.subscribe((event) => {
    if (event.type !== 'call' || event.call.status !== 'initiated') return
    registry.prepare(event.call.id).catch((error: Error) => fastify.log.warn({ err: error, callId: event.call.id }, 'the greeting could not be made ahead'))
  })
  const kind = config.ASSISTANT === 'openai' || (config.ASSISTANT === 'auto' && config.OPENAI_API_KEY) ? 'openai' : 'scripted'
  await ensureFirstAssistant(fastify.db, {
    kind,
    replyTimeoutMs: config.ASSISTANT_REPLY_TIMEOUT_MS,
    openai: { instructions: config.ASSISTANT_PROMPT, voice: config.OPENAI_VOICE, model: config.OPENAI_REALTIME_MODEL }
  })
  fastify.log.info({ assistant: config.ASSISTANT === 'echo' ? 'echo' : 'as each call names' }, 'voice assistants ready')
}, { name: 'assistants', dependencies: ['env', 'db', 'events'] })
