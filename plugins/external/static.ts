import { join } from 'node:path'
import fastifyStatic from '@fastify/static'
import fp from 'fastify-plugin'
import { projectRoot } from '../../lib/server/project-root.js'

/**
 * The browser files in `public/` (pages, their scripts and styles, the client library), served from this server
 * so that no page loads anything from the internet. One route per file, found at start (no wildcard route to
 * shadow the API's 404s).
 */
export default fp(async function staticFiles (fastify) {
  await fastify.register(fastifyStatic, { root: join(projectRoot, 'public'), prefix: '/', wildcard: false, index: false })
}, { name: 'static' })
