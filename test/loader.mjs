// How the tests run TypeScript: tap's own loader (ts-node) is off (see "tap" in package.json) and swc compiles
// each file instead (./loader-hooks.mjs), with the source maps tap's coverage reads. Child processes and worker
// threads inherit it.
import { register } from 'node:module'

// @fastify/autoload looks for a TypeScript loader among the preloaded modules, where --import puts none.
process.env.FASTIFY_AUTOLOAD_TYPESCRIPT ??= '1'
register('./loader-hooks.mjs', import.meta.url)
