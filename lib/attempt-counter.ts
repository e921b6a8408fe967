/**
 * Counts attempts per key in fixed windows (e.g. sign-in attempts per email), in this process's memory.
 * Keys whose window has ended are dropped as new attempts arrive, so memory stays bounded by recent keys.
 */
export class AttemptCounter {
  private readonly windows = new Map<string, { count: number, endsAt: number }>()

  constructor (private readonly max: number, private readonly windowMs: number,
    private readonly now: () => number = Date.now) {}

  /** Records one attempt; answers whether it is within the limit, and if not, the seconds until it is. */
  hit (key: string): { allowed: true } | { allowed: false, retryAfterSeconds: number } {
    const now = this.now()
    let window = this.windows.get(key)
    if (!window || window.endsAt <= now) {
      this.dropEnded(now)
      window = { count: 0, endsAt: now + this.windowMs }
      this.windows.set(key, window)
    }
    window.count++
    if (window.count <= this.max) return { allowed: true }
    return { allowed: false, retryAfterSeconds: Math.ceil((window.endsAt - now) / 1000) }
  }

  private dropEnded (now: number): void {
    for (const [key, window] of this.windows) {
      if (window.endsAt <= now) this.windows.delete(key)
    }
  }
}
