import type { FastifyInstance } from 'fastify'
import { build, capturingLogger, multipartFile, testUsers } from '../../helper.js'

/** An app with a signed-in user, and helpers that call it with their token. */
export async function signedInApp (t: Parameters<typeof build>[0], env: Record<string, string> = {}) {
  const { lines, logger } = capturingLogger()
  const app = await build(t, { logger, env })
  const user = await testUsers(app, lines).signedIn()
  const authorization = `Bearer ${user.access_token as string}`
  const upload = (content: string | Buffer, fileName?: string) => {
    const { payload, headers } = multipartFile(content, fileName)
    return app.inject({ method: 'POST', url: '/api/upload-customers', payload, headers: { ...headers, authorization } })
  }
  const get = (url: string) => app.inject({ method: 'GET', url, headers: { authorization } })
  return { app, upload, get, authorization, lines, sub: (await get('/auth/me')).json().user.sub as string }
}

export async function customerCount (app: FastifyInstance): Promise<number> {
  const { rows } = await app.db.query<{ n: number }>('SELECT count(*) AS n FROM customer')
  return rows[0]!.n
}
