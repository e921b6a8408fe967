import autocannon from 'autocannon'

export interface LoadResult {
  name: string
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  errors: number
}

/** Loads one URL on loopback for a fixed time after a short warm-up; bounded in time, stops by itself. */
export async function load (name: string, url: string, seconds = 5, connections = 10,
  headers: Record<string, string> = {}): Promise<LoadResult> {
  await autocannon({ url, connections, duration: 1, headers })
  const result = await autocannon({ url, connections, duration: seconds, headers })
  return {
    name,
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.non2xx
  }
}

export function printTable (title: string, baseline: LoadResult, results: LoadResult[]): void {
  console.log(`\n${title}`)
  console.log('case'.padEnd(44), 'req/s'.padStart(10), 'p50 ms'.padStart(8), 'p99 ms'.padStart(8),
    'errors'.padStart(7), 'vs baseline'.padStart(12))
  for (const r of [baseline, ...results]) {
    console.log(r.name.padEnd(44), r.requestsPerSecond.toFixed(0).padStart(10), r.p50Ms.toFixed(1).padStart(8),
      r.p99Ms.toFixed(1).padStart(8), String(r.errors).padStart(7),
      `${(r.requestsPerSecond / baseline.requestsPerSecond).toFixed(2)}x`.padStart(12))
  }
}
