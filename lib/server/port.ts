import { createServer } from 'node:net'
import { ConfigError } from './config-error.js'

/**
 * Refuses to go on (with a ConfigError) when something already listens on host:port: checked before the server
 * opens its database or starts the Cognito emulator, so that a second copy started by mistake changes nothing.
 * Port 0 (any free port) is always free.
 */
export async function assertPortFree (host: string, port: number): Promise<void> {
  if (port === 0) return
  const probe = createServer()
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error: Error & { code?: string }) => {
      reject(error.code === 'EADDRINUSE'
        ? new ConfigError(`Port ${port} on ${host} is already in use (another copy of this server?): nothing was started or changed`)
        : error)
    })
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()))
  })
}
