import type { Queryable } from '../db/database.js'

/**
 * Counts one request for `key` in its fixed window of `windowMs`, in the database, so that every instance counts
 * together. Answers the count so far in this window and the milliseconds left of it. Windows that ended over an
 * hour ago are purged by the same statement (through the index on window_ends, cheap when there are none).
 */
export async function countRequest (db: Queryable, key: string, windowMs: number): Promise<{ count: number, ttlMs: number }> {
  const { rows } = await db.query<{ count: number, ttl_ms: number }>(
    `WITH purged AS (DELETE FROM rate_limit WHERE window_ends < now() - interval '1 hour')
     INSERT INTO rate_limit (key, count, window_ends) VALUES ($1, 1, now() + $2 * interval '1 millisecond')
     ON CONFLICT (key) DO UPDATE SET
       count = CASE WHEN rate_limit.window_ends <= now() THEN 1 ELSE rate_limit.count + 1 END,
       window_ends = CASE WHEN rate_limit.window_ends <= now() THEN excluded.window_ends ELSE rate_limit.window_ends END
     RETURNING count, ceil(extract(epoch FROM window_ends - now()) * 1000)::int AS ttl_ms`,
    [key, windowMs]
  )
  return { count: rows[0]!.count, ttlMs: rows[0]!.ttl_ms }
}

/** Attempts per key (e.g. sign-in attempts per email) within a window, counted over every instance. */
export class AttemptCounter {
  constructor (private readonly db: () => Queryable, private readonly name: string, private readonly max: number,
    private readonly windowMs: number) {}

  /** Records one attempt; answers whether it is within the limit, and if not, the seconds until it is. */
  async hit (key: string): Promise<{ allowed: true } | { allowed: false, retryAfterSeconds: number }> {
    const { count, ttlMs } = await countRequest(this.db(), `${this.name}:${key}`, this.windowMs)
    return count <= this.max ? { allowed: true } : { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(ttlMs / 1000)) }
  }
}

type StoreCallback = (error: Error | null, result?: { current: number, ttl: number }) => void

/** A store for @fastify/rate-limit that keeps its counts in the database (the `store` option takes the class). */
export function databaseStore (db: () => Queryable) {
  return class DatabaseStore {
    readonly prefix: string
    // The plugin passes its options, which this store does not need.
    constructor (_options?: object, prefix = 'rate') {
      this.prefix = prefix
    }

    incr (key: string, callback: StoreCallback, timeWindow: number): void {
      countRequest(db(), `${this.prefix}:${key}`, timeWindow)
        .then(({ count, ttlMs }) => callback(null, { current: count, ttl: ttlMs }), (error: Error) => callback(error))
    }

    /** Each `fastify.rateLimit(...)` hook counts apart, by its window and limit (its options, typed as a route's). */
    child (options: object): DatabaseStore {
      const { timeWindow, max } = options as { timeWindow: number, max: number }
      return new DatabaseStore(undefined, `rate:${timeWindow}:${max}`)
    }
  }
}
