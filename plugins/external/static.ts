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
  // The charting library, from its npm package: served by this server, like the pages (no CDN).
  await fastify.register(fastifyStatic, {
    root: join(projectRoot, 'node_modules', 'uplot', 'dist'),
    prefix: '/vendor/uplot/',
    wildcard: false,
    index: false,
    decorateReply: false,
    allowedPath: (path) => path === '/uPlot.esm.js' || path === '/uPlot.min.css'
  })
}, { name: 'static' })
