import { Worker, type WorkerOptions } from 'node:worker_threads'

/**
 * A worker thread that runs its own plain JavaScript and nothing else: none of the loaders the server may run under
 * (its `execArgv`: a TypeScript loader), and none of the modules NODE_OPTIONS preloads (a test runner's coverage
 * hooks, an APM agent), which Node runs again in every thread started from a file, whatever its `execArgv` says.
 * So the thread gets the process's environment without NODE_OPTIONS.
 */
export function plainThread (file: URL, options: Omit<WorkerOptions, 'execArgv' | 'env'> = {}): Worker {
  const { NODE_OPTIONS: _preloads, ...env } = process.env
  return new Worker(file, { ...options, execArgv: [], env })
}
