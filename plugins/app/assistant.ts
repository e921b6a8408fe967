import fp from 'fastify-plugin'
import type { Assistant } from '../../lib/assistant/assistant.js'
import { EchoAssistant } from '../../lib/assistant/echo.js'
import { OpenAIRealtimeAssistant } from '../../lib/assistant/openai-realtime.js'
import { ScriptedAssistant } from '../../lib/assistant/scripted.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The voice assistant that talks on answered calls. */
    assistant: Assistant
  }
}

/** ASSISTANT picks it; by default OpenAI Realtime when OPENAI_API_KEY is set, else the scripted one. */
export default fp(async function assistant (fastify) {
  const config = fastify.config
  const choice = config.ASSISTANT === 'auto' ? (config.OPENAI_API_KEY ? 'openai' : 'scripted') : config.ASSISTANT
  const chosen: Assistant = choice === 'openai'
    ? new OpenAIRealtimeAssistant({
      apiKey: config.OPENAI_API_KEY!,
      url: config.OPENAI_REALTIME_URL,
      model: config.OPENAI_REALTIME_MODEL,
      transcribeModel: config.OPENAI_TRANSCRIBE_MODEL,
      voice: config.OPENAI_VOICE,
      passMulaw: config.OPENAI_PASS_MULAW,
      prompt: config.ASSISTANT_PROMPT
    })
    : choice === 'echo' ? new EchoAssistant() : new ScriptedAssistant({ replyTimeoutMs: config.ASSISTANT_REPLY_TIMEOUT_MS })
  fastify.decorate('assistant', chosen)
  fastify.log.info({ assistant: chosen.name }, 'voice assistant ready')
}, { name: 'assistant', dependencies: ['env'] })
