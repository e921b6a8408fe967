import t from 'tap'
import { startServerProcess as start } from './helper.js'

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
