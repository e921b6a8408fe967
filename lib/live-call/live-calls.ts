import type { MediaSession } from './session.js'

/**
 * The live calls this instance is serving (one media session each): what a drain waits for, and what is ended when
 * it cannot wait longer.
 */
export class LiveCalls {
  readonly #sessions = new Set<MediaSession>()
  #waiting: Array<() => void> = []

  get size (): number {
    return this.#sessions.size
  }

  add (session: MediaSession): void {
    this.#sessions.add(session)
  }

  /** The session's stream has ended and all it recorded is written. */
  delete (session: MediaSession): void {
    this.#sessions.delete(session)
    if (this.#sessions.size === 0) for (const resolve of this.#waiting.splice(0)) resolve()
  }

  /** Resolves once no call is live. */
  async none (): Promise<void> {
    if (this.#sessions.size === 0) return
    await new Promise<void>((resolve) => this.#waiting.push(resolve))
  }

  /** Ends every live call now, each with `reason` recorded as why its stream stopped; resolves once all is written. */
  async endAll (reason: string): Promise<void> {
    const sessions = [...this.#sessions]
    for (const session of sessions) session.hangUp(reason)
    await Promise.all(sessions.map(async (session) => {
      await session.settled()
      this.delete(session)
    }))
  }
}
