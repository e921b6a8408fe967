import { spawn } from 'node:child_process'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { once } from 'node:events'
import t from 'tap'

const serverFile = path.join(import.meta.dirname, '..', 'server.ts')

// The real entry point in a child process, started from an empty folder so that no developer's .env is read.
async function start (env: Record<string, string>) {
  const cwd = await mkdtemp(path.join(tmpdir(), 'vcm-server-'))
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), serverFile], {
    cwd,
    env: {
      PATH: process.env.PATH,
      FASTIFY_AUTOLOAD_TYPESCRIPT: '1', // autoload cannot tell that tsx is loaded through --import
      // tap would record this child's coverage too; tsx compiles the sources differently from tap's loader and
      // the two maps merge into false gaps, while the in-process tests already cover these files.
      _TAPJS_PROCESSINFO_COVERAGE_: '0',
      DATA_DIR: path.join(cwd, 'data'),
      ...env
    },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => { stdout += chunk })
  child.stderr.on('data', (chunk) => { stderr += chunk })
  const exited = once(child, 'exit').then(([code]) => code as number)
  return { child, exited, output: () => ({ stdout, stderr }) }
}

t.test('a bad variable stops the start with one clear line', async (t) => {
  const server = await start({ PORT: 'eighty' })
  t.equal(await server.exited, 1)
  t.equal(server.output().stderr, 'Invalid configuration: PORT must be integer\n')
})

t.test('a server killed outright leaves no Cognito emulator behind', async (t) => {
  const server = await start({ HOST: '127.0.0.1', PORT: '0' })
  t.teardown(() => { server.child.kill('SIGKILL') })
  let endpoint: string | undefined
  for (let i = 0; i < 300 && !endpoint; i++) {
    endpoint = /"endpoint":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(server.output().stdout)?.[1]
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.ok(endpoint, 'the emulator started')
  t.ok(await fetch(endpoint!).then(() => true, () => false), 'and answers')
  server.child.kill('SIGKILL')
  await server.exited
  let gone = false
  for (let i = 0; i < 50 && !gone; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    gone = await fetch(endpoint!).then(() => false, () => true)
  }
  t.ok(gone, 'the emulator stops within seconds of its parent')
})

t.test('the server listens on HOST:PORT, serves, and shuts down cleanly on SIGTERM', async (t) => {
  const server = await start({ HOST: '127.0.0.1', PORT: '0' })
  t.teardown(() => { server.child.kill('SIGKILL') })
  let address: string | undefined
  for (let i = 0; i < 300 && !address; i++) {
    address = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(server.output().stdout)?.[1]
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.ok(address, 'it logged where it listens')
  const health = await fetch(`${address}/health`)
  t.equal(health.status, 200)
  const docs = await fetch(`${address}/docs/json`)
  t.equal(docs.status, 200)

  server.child.kill('SIGTERM')
  t.equal(await server.exited, 0, 'exit code 0 after a graceful close')
  const lines = server.output().stdout.trim().split('\n').map((line) => JSON.parse(line))
  t.ok(lines.some((line) => line.msg === 'closing' && line.signal === 'SIGTERM'), 'the close is logged')
})
