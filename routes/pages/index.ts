import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

// At the root: the dashboards' addresses (/, /original), which operators have bookmarked.
export const prefixOverride = ''

/** The dashboards: public pages that sign in with Cognito through /auth and work through /api. */
const pages: FastifyPluginAsyncTypebox = async (fastify) => {
  const page = (file: string) => async (_request: unknown, reply: { sendFile (file: string): unknown }) => reply.sendFile(file)
  fastify.get('/original', { schema: { tags: ['pages'], summary: 'The original simple dashboard (HTML)', hide: true } }, page('original.html'))
  fastify.get('/', { schema: { tags: ['pages'], summary: 'The operator dashboard (HTML)', hide: true } }, page('index.html'))
}

export default pages
