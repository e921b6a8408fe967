import { existsSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import path from 'node:path'
import Fastify from 'fastify'
import t from 'tap'
import envPlugin from '../../plugins/external/env.js'
import { ConfigError } from '../../lib/server/config-error.js'
import { assertPortFree } from '../../lib/server/port.js'
import { build } from '../helper.js'

async function load (env: Record<string, string>) {
  const app = Fastify({ pluginTimeout: 0 })
  app.register(envPlugin, { env })
  await app.ready()
  return app.config
}

t.test('with no variables, the embedded defaults apply', async (t) => {
  const config = await load({})
  t.match(config, {
    HOST: '0.0.0.0', PORT: 8000, LOG_LEVEL: 'info', CORS_ORIGINS: '', DATA_DIR: './data'
  })
  t.equal(config.DATABASE_URL, undefined)
  t.equal(config.COGNITO_USER_POOL_ID, undefined)
})

t.test('values are read and typed', async (t) => {
  const config = await load({
    PORT: '9000',
    DATABASE_URL: 'postgresql://app@db:5432/calls',
    COGNITO_USER_POOL_ID: 'ap-south-1_abc',
    COGNITO_CLIENT_ID: 'client',
    AWS_REGION: 'ap-south-1'
  })
  t.equal(config.PORT, 9000)
  t.equal(config.DATABASE_URL, 'postgresql://app@db:5432/calls')
  t.equal(config.COGNITO_USER_POOL_ID, 'ap-south-1_abc')
})

t.test('a bad value stops the start with one line naming the variable and the problem', async (t) => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'eighty' }, /^Invalid configuration: PORT must be integer$/],
    [{ PORT: '70000' }, /^Invalid configuration: PORT must be <= 65535$/],
    [{ LOG_LEVEL: 'loud' }, /^Invalid configuration: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent$/],
    [{ DATABASE_URL: 'mysql://root:hunter2@db/x' }, /^Invalid configuration: DATABASE_URL must match \^postgres\(ql\)\?:\/\/$/],
    [{ PORT: '-1', LOG_LEVEL: 'x' }, /^Invalid configuration: PORT must be >= 0; LOG_LEVEL must be one of/],
    [{ COGNITO_USER_POOL_ID: 'ap-south-1_abc' }, /^Invalid configuration: COGNITO_CLIENT_ID must be set with COGNITO_USER_POOL_ID$/],
    [{ EXOTEL_API_KEY: 'key', EXOTEL_APP_ID: '42' }, /^Invalid configuration: EXOTEL_API_TOKEN, EXOTEL_ACCOUNT_SID, EXOTEL_WEBHOOK_TOKEN must be set with EXOTEL_API_KEY$/],
    [{ EXOTEL_API_KEY: 'key', EXOTEL_API_TOKEN: 't', EXOTEL_ACCOUNT_SID: 'a', EXOTEL_WEBHOOK_TOKEN: 'a-long-webhook-token' },
      /^Invalid configuration: EXOTEL_CALLER_ID \(or EXOTEL_CALLER_IDS\) must be set with EXOTEL_API_KEY$/],
    [{ ASSISTANT: 'openai' }, /^Invalid configuration: ASSISTANT=openai needs OPENAI_API_KEY$/],
    [{ EXOTEL_CALLER_IDS: '+918000000001, 080 4000 0000' }, /^Invalid configuration: EXOTEL_CALLER_IDS: "080 4000 0000" is not a phone number in E\.164 \(\+91\.\.\.\)$/],
    [{ CAMPAIGN_PAUSE_FAILED_SHARE: '2' }, /^Invalid configuration: CAMPAIGN_PAUSE_FAILED_SHARE must be <= 1$/],
    [{ EXOTEL_CALL_MODE: 'sometimes' }, /^Invalid configuration: EXOTEL_CALL_MODE must be one of stream, flow$/],
    [{ HANDOFF_AGENT_NUMBER: '98000 00001' }, /^Invalid configuration: HANDOFF_AGENT_NUMBER must match /],
    [{ RECORDINGS_S3_ACCESS_KEY_ID: 'AKIA' }, /^Invalid configuration: RECORDINGS_S3_SECRET_ACCESS_KEY, RECORDINGS_S3_BUCKET must be set with RECORDINGS_S3_ACCESS_KEY_ID$/],
    [{ RECORDINGS_S3_ENDPOINT: 'http://127.0.0.1:9' }, /^Invalid configuration: RECORDINGS_S3_BUCKET must be set with RECORDINGS_S3_ENDPOINT$/],
    [{ RECORDINGS: 'sometimes' }, /^Invalid configuration: RECORDINGS must be one of on, off$/],
    [{ CALLING_TIMEZONE: 'Mars/Olympus' }, /^Invalid configuration: CALLING_HOURS, CALLING_DAYS or CALLING_TIMEZONE: Unknown timezone/],
    [{ CALLING_HOURS: '21:00-09:00' }, /start before end/],
    [{ CALLING_DAYS: 'weekdays' }, /Unknown weekday/],
    [{ CALLING_HOURS: '9-5' }, /^Invalid configuration: CALLING_HOURS must match/]
  ]
  for (const [env, message] of cases) {
    const error = await load(env).then(() => null, (error: unknown) => error)
    t.type(error, ConfigError, JSON.stringify(env))
    t.match((error as Error).message, message)
    t.notMatch((error as Error).message, /hunter2|\n/, 'never the value itself, never a second line')
  }
})

t.test('with no variables given, the process environment and a .env file in the working folder are read', async (t) => {
  const dir = t.testdir({ '.env': 'PORT=8123\nCORS_ORIGINS=https://ops.example.com\n' })
  t.chdir(dir)
  const saved = process.env.PORT
  t.teardown(() => {
    if (saved === undefined) delete process.env.PORT
    else process.env.PORT = saved
    delete process.env.CORS_ORIGINS
  })
  delete process.env.PORT
  process.env.LOG_LEVEL = 'warn'
  t.teardown(() => { delete process.env.LOG_LEVEL })
  const app = Fastify({ pluginTimeout: 0 })
  app.register(envPlugin)
  await app.ready()
  t.equal(app.config.PORT, 8123, 'from .env')
  t.equal(app.config.CORS_ORIGINS, 'https://ops.example.com', 'from .env')
  t.equal(app.config.LOG_LEVEL, 'warn', 'from the environment')
})

t.test('an error that is not a validation failure passes through unchanged', async (t) => {
  const error = new Error('disk on fire')
  t.equal(ConfigError.from(error), error)
})

t.test('a missing required variable is named', async (t) => {
  const error = ConfigError.fromSchemaErrors([
    { instancePath: '', message: "must have required property 'X'", params: { missingProperty: 'X' } }
  ])
  t.equal(error.message, "Invalid configuration: X must have required property 'X'")
})

t.test('every variable is documented in .env.example and the README', async (t) => {
  const { readFile } = await import('node:fs/promises')
  const { Config } = await import('../../schemas/config.js')
  const example = await readFile(new URL('../../.env.example', import.meta.url), 'utf8')
  const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8')
  for (const name of Object.keys(Config.properties)) {
    t.match(example, new RegExp(`^#? ?${name}=`, 'm'), `${name} in .env.example`)
    t.match(readme, new RegExp(`\`${name}\``), `${name} in the README`)
  }
})

t.test('a port already taken stops the start before the database or the emulator is touched', async (t) => {
  const taken = createServer()
  await new Promise<void>((resolve) => taken.listen({ host: '127.0.0.1', port: 0 }, resolve))
  t.teardown(() => taken.close())
  const port = (taken.address() as AddressInfo).port
  const dataDir = path.join(t.testdir(), 'data')
  const error = await build(t, { checkPort: true, env: { HOST: '127.0.0.1', PORT: String(port), DATA_DIR: dataDir } })
    .then(() => null, (error: unknown) => error)
  t.type(error, ConfigError)
  t.equal((error as Error).message,
    `Port ${port} on 127.0.0.1 is already in use (another copy of this server?): nothing was started or changed`)
  t.notOk(existsSync(dataDir), 'no database folder opened, no emulator state rewritten')

  const free = await build(t, { checkPort: true, env: { HOST: '127.0.0.1', PORT: '0' } })
  t.ok(free.db, 'port 0 (any free port) starts')
  const released = createServer()
  await new Promise<void>((resolve) => released.listen({ host: '127.0.0.1', port: 0 }, resolve))
  const freed = (released.address() as AddressInfo).port
  await new Promise((resolve) => released.close(resolve))
  t.equal(await assertPortFree('127.0.0.1', freed), undefined, 'a port no one holds is free')
  const other = await assertPortFree('203.0.113.1', 8000).then(() => null, (error: unknown) => error) // not ours to bind
  t.notOk(other instanceof ConfigError, 'an error other than a taken port is passed on as it is')
})
