/** Messages kept in arrival order until taken, one at a time, by whoever waits for them. */
export class Mailbox<T> {
  readonly #messages: T[] = []
  #wake?: () => void

  push (message: T) {
    this.#messages.push(message)
    this.#wake?.()
  }

  async next (): Promise<T> {
    while (this.#messages.length === 0) await new Promise<void>((resolve) => { this.#wake = resolve })
    return this.#messages.shift()!
  }
}
