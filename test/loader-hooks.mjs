// The module hooks test/loader.mjs registers: this project's TypeScript, compiled by swc as it is loaded, each
// file with its source map inline (tap's coverage maps onto the sources through it). Only what the project needs:
// its own files, ES modules, imported by `.js` names (as NodeNext has them written) that are `.ts` files here.
// (@swc-node/register did the same, but first loaded the TypeScript compiler to read tsconfig.json and resolved
// every import with a resolver of its own: about 0.6 s a process, of which the suite starts a hundred.)
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { transform } from '@swc/core'

/** What tsconfig.json asks of the output, as swc spells it. */
const OPTIONS = {
  swcrc: false,
  configFile: false,
  sourceMaps: 'inline',
  jsc: {
    parser: { syntax: 'typescript' },
    target: 'es2023',
    keepClassNames: true,
    transform: { useDefineForClassFields: true }
  },
  module: { type: 'es6' }
}

const ours = (url) => url.startsWith('file:') && !url.includes('/node_modules/')

/** A relative `./x.js` written in one of our files names `./x.ts` when that is the file there. */
export async function resolve (specifier, context, nextResolve) {
  if (context.parentURL && ours(context.parentURL) && specifier.endsWith('.js') && /^\.{1,2}\//.test(specifier)) {
    const source = new URL(`${specifier.slice(0, -3)}.ts`, context.parentURL)
    if (existsSync(source)) return { url: source.href, format: 'module', shortCircuit: true }
  }
  return await nextResolve(specifier, context)
}

export async function load (url, context, nextLoad) {
  if (!url.endsWith('.ts') || !ours(url)) return await nextLoad(url, context)
  const filename = fileURLToPath(url)
  const { code } = await transform(await readFile(filename, 'utf8'), { ...OPTIONS, filename })
  return { format: 'module', source: code, shortCircuit: true }
}
