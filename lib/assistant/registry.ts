import type { AssistantConfig, OpenAIConfig, ScriptedConfig } from '../../schemas/assistants.js'
import type { Database } from '../db/database.js'
import type { Speech } from '../speech/speech.js'
import type { Assistant } from './assistant.js'
import { OpenAIRealtimeAssistant, type OpenAIConnection } from './openai-realtime.js'
import { ScriptedAssistant } from './scripted.js'
import { callContextOf } from '../calls/conversation.js'
import { assistantAt, defaultAssistant, pinAssistant, type AssistantKind } from './store.js'

/** Versions kept ready (a version never changes, so a kept one is never stale). */
const KEPT = 200

export interface RegistryOptions {
  speech: Speech
  /** How to reach OpenAI; undefined when no key is configured (then an OpenAI assistant cannot run). */
  openai?: OpenAIConnection
  /** One assistant for every call whatever they name (ASSISTANT=echo, for line tests and benchmarks). */
  override?: Assistant
}

export class NoAssistantError extends Error {}

/**
 * The assistants that run on calls: each call's pinned version, or for a call that named none the default's
 * latest (then pinned on the call, so its record says what spoke). Made once per version and kept.
 */
export class AssistantRegistry {
  readonly #kept = new Map<string, Assistant>()

  constructor (readonly db: Database, readonly options: RegistryOptions) {}

  async forCall (callId: string, pinned: { id: string, version: number } | null): Promise<Assistant> {
    if (this.options.override) return this.options.override
    if (pinned) return await this.at(pinned.id, pinned.version)
    const fallback = await defaultAssistant(this.db)
    if (!fallback) throw new NoAssistantError('There is no default assistant')
    await this.db.query('UPDATE call SET assistant_id = $2, assistant_version = $3 WHERE id = $1 AND assistant_id IS NULL',
      [callId, fallback.id, fallback.version])
    return this.make(`${fallback.id}:${fallback.version}`, fallback.kind, fallback.config)
  }

  /**
   * While a call rings: what its assistant says first, made ahead for this customer (a scripted greeting with their
   * name) in the stream format calls usually have (8 kHz PCM, what /ws-url asks for by default).
   */
  async prepare (callId: string): Promise<void> {
    if (this.options.override) return
    const { assistant: pinned, ...customer } = await callContextOf(this.db, callId)
    const version = pinned ?? await pinAssistant(this.db, undefined)
    if (!version) return
    const assistant = await this.at(version.id, version.version)
    await assistant.prepare?.(customer, { encoding: 'pcm16', sampleRate: 8000 })
  }

  /** One version of an assistant, ready to run. */
  async at (id: string, version: number): Promise<Assistant> {
    const key = `${id}:${version}`
    const kept = this.#kept.get(key)
    if (kept) return kept
    const found = await assistantAt(this.db, id, version)
    if (!found) throw new NoAssistantError(`There is no assistant ${id} at version ${version}`)
    return this.make(key, found.kind, found.config)
  }

  /** An assistant of a kind from its settings (kept under `key` when one is given). */
  make (key: string | undefined, kind: AssistantKind, config: AssistantConfig): Assistant {
    const kept = key === undefined ? undefined : this.#kept.get(key)
    if (kept) return kept
    let assistant: Assistant
    if (kind === 'scripted') assistant = new ScriptedAssistant(config as ScriptedConfig, this.options.speech)
    else if (this.options.openai) assistant = new OpenAIRealtimeAssistant(this.options.openai, config as OpenAIConfig)
    else throw new NoAssistantError('An OpenAI assistant needs OPENAI_API_KEY, which is not configured')
    if (key !== undefined) {
      if (this.#kept.size >= KEPT) this.#kept.delete(this.#kept.keys().next().value!)
      this.#kept.set(key, assistant)
    }
    return assistant
  }
}
