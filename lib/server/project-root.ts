import { existsSync } from 'node:fs'
import path from 'node:path'

/**
 * The folder holding package.json, migrations/ and public/, found from this file, so that the server finds its
 * files the same way when it runs from source (tests, `npm run dev`) and from the compiled dist/ folder.
 */
export function findProjectRoot (from: string): string {
  let dir = from
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir)
    if (parent === dir) throw new Error(`No package.json above ${from}`)
    dir = parent
  }
  return dir
}

export const projectRoot = findProjectRoot(import.meta.dirname)
