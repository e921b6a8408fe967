// `npm test`: runs tap on both database engines when a PostgreSQL server is at hand.
// With TEST_DATABASE_URL unset and a server listening on 127.0.0.1:5432 (as on this project's machines and in
// CI), the tests use it as well as PGlite. With no server, they run on PGlite alone and say so; coverage is
// then not enforced, since the PostgreSQL adapter cannot be exercised.
import { spawnSync } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { connect } from 'node:net'

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/postgres'

function listening (host, port) {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 1000 })
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
    socket.once('timeout', () => { socket.destroy(); resolve(false) })
  })
}

const args = process.argv.slice(2)
// A full run starts from no saved coverage: data kept from runs of older sources maps onto the wrong lines.
if (args.length === 0) rmSync('.tap', { recursive: true, force: true })
if (!process.env.TEST_DATABASE_URL && await listening('127.0.0.1', 5432)) {
  process.env.TEST_DATABASE_URL = DEFAULT_URL
}
if (process.env.TEST_DATABASE_URL) {
  console.log(`# database engines: PGlite and PostgreSQL (${new URL(process.env.TEST_DATABASE_URL).host})`)
} else {
  console.log('# database engines: PGlite only (no PostgreSQL at 127.0.0.1:5432); coverage not enforced')
  args.unshift('--allow-incomplete-coverage')
}
// tap builds its test class from the plugins package.json names, and a fresh install holds its default build, with
// the TypeScript plugin (ts-node) this project turns off for swc (test/loader.mjs). tap rebuilds it only after one
// run with the old build, whose ts-node would load beside swc: so it is built first.
const built = readFileSync('node_modules/@tapjs/test/test-built/dist/esm/index.js', 'utf8')
if (/export const signature = `[^`]*@tapjs\/typescript/.test(built)) spawnSync('tap', ['build'], { stdio: 'inherit' })
const result = spawnSync('tap', args, { stdio: 'inherit', shell: false, env: process.env })
process.exit(result.status ?? 1)
