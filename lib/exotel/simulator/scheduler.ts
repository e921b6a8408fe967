/**
 * The simulator's pending work: timers that play calls' lives, and the requests they send. Stopping it cancels
 * what has not started and waits for what has.
 */
export class Scheduler {
  readonly #timers = new Set<NodeJS.Timeout>()
  readonly #deliveries = new Set<Promise<void>>()
  readonly #onError: (url: string, error: Error) => void
  #stopped = false

  constructor (onError: (url: string, error: Error) => void = () => {}) {
    this.#onError = onError
  }

  get stopped (): boolean {
    return this.#stopped
  }

  /** Runs `work` in `ms`, unless the simulator has stopped by then: a call in flight goes no further. */
  later (ms: number, work: () => Promise<void>): void {
    if (this.#stopped) return
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      const delivery = work().catch((error: Error) => this.#onError('', error))
        .finally(() => this.#deliveries.delete(delivery))
      this.#deliveries.add(delivery)
    }, ms)
    this.#timers.add(timer)
  }

  /** Sends a request to our server, answering its response; a failure is reported, never thrown (then undefined). */
  async deliver (url: string, init: RequestInit): Promise<Response | undefined> {
    try {
      return await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) })
    } catch (error) {
      this.#onError(url, error as Error)
      return undefined
    }
  }

  reportError (url: string, error: Error): void {
    this.#onError(url, error)
  }

  async stop (): Promise<void> {
    this.#stopped = true
    for (const timer of this.#timers) clearTimeout(timer)
    await Promise.all(this.#deliveries)
  }
}
