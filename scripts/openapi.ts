// `npm run openapi [file]`: writes the OpenAPI document (default openapi.json) without listening or starting an
// emulator: the app is built as in production with nothing configured (no Cognito pool, no Exotel account, so
// neither emulator starts) on an in-memory database, asked for its document, and closed.
import { writeFile } from 'node:fs/promises'
import Fastify from 'fastify'
import fp from 'fastify-plugin'
import app, { options } from '../app.js'

export async function openapiDocument (publicBaseUrl = process.env.PUBLIC_BASE_URL): Promise<Record<string, unknown>> {
  const server = Fastify({ ...options, logger: false, pluginTimeout: 0 })
  server.register(fp(app), {
    env: { NODE_ENV: 'production', DATA_DIR: 'memory://', ...publicBaseUrl ? { PUBLIC_BASE_URL: publicBaseUrl } : {} }
  })
  try {
    await server.ready()
    return server.swagger() as unknown as Record<string, unknown>
  } finally {
    await server.close()
  }
}

if (import.meta.filename === process.argv[1]) {
  const file = process.argv[2] ?? 'openapi.json'
  await writeFile(file, `${JSON.stringify(await openapiDocument(), null, 2)}\n`)
  console.log(`OpenAPI document written to ${file}`)
}
