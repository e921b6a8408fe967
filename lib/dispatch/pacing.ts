/** What one round counts, under the dispatch lock. */
export interface RoundCounts {
  /** Calls in flight: dialled and not ended, or claimed and being dialled. */
  inFlight: number
  /** Of those, single calls (the priority lane's). */
  single: number
  /** Calls claimed in the last minute, over every instance. */
  lastMinute: number
  /** Milliseconds since the last claim; null when nothing was claimed in the last minute. */
  sinceLastMs: number | null
}

export interface PacingLimits {
  /** Most calls dialled in any minute, counted over every instance (single calls included). */
  callsPerMinute: number
  /** Most calls in flight at once: claimed for dialling, or dialled and not yet ended. */
  maxInFlight: number
  /** Lines of maxInFlight that batches leave free for single calls (the priority lane). */
  priorityLines: number
  /** Most calls one round claims. */
  maxClaim: number
}

/**
 * How many batch calls a round may claim, and when the next may be: calls are spaced evenly through the minute
 * (one per spacing since the last claim; one at once after a quiet minute), never more than the rate in any
 * minute, and only on free lines. Single calls in flight use the priority lines first; batches have what is left.
 */
export function allowance (counts: RoundCounts, limits: PacingLimits): { allowed: number, dueInMs: number } {
  const spacingMs = 60_000 / limits.callsPerMinute
  const sinceLastMs = counts.sinceLastMs ?? spacingMs
  const paced = Math.floor(sinceLastMs / spacingMs)
  const lines = limits.maxInFlight - Math.max(limits.priorityLines, counts.single) - (counts.inFlight - counts.single)
  const allowed = Math.min(lines, limits.callsPerMinute - counts.lastMinute, paced, limits.maxClaim)
  return { allowed, dueInMs: allowed > 0 ? spacingMs : spacingMs - sinceLastMs % spacingMs }
}
