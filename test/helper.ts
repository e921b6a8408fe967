import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import Fastify, { type FastifyInstance, type FastifyServerOptions, type RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import tap from 'tap'
import app, { options as serverOptions, type AppOptions } from '../app.js'
import { SpeechEngine } from '../lib/speech/engine.js'
import { logOptions } from '../lib/server/log-options.js'
import { projectRoot } from '../lib/server/project-root.js'
import { sharedEmulator as sharedEmulatorOf } from './cognito.js'
import { pgliteTemplate, seedDataDir } from './databases.js'

// The part of a tap test the helpers use.
interface Test { teardown (fn: () => unknown): void }

export { engines, freshPostgresDatabase, migratedDatabase, seededDataDir, type Engine } from './databases.js'

const ajv = new Ajv({ strict: false, allErrors: true })
addFormats.default(ajv)

/** What is wrong with `value` by `schema` (a webhook event's, say), as a receiver's validator (Ajv) sees it: none is []. */
export function schemaErrors (schema: object, value: unknown): string[] {
  const validate = ajv.compile(schema)
  return validate(value) ? [] : validate.errors!.map((error) => `${error.instancePath} ${error.message ?? ''}`)
}

/** An assistant's text in English, with other languages when given. */
export const says = (en: string, more: Record<string, string> = {}) => ({ en, ...more })

/**
 * A scripted assistant's config as the tests make one: a greeting, key 1 to confirm, short texts for the rest, no
 * retries; each test puts what it is about on top (`changes`).
 */
export function scriptedConfig (changes: Record<string, unknown> = {}) {
  return {
    language: 'en',
    greeting: says('Hello {{ first_name }}, your payment is due. Press 1 to confirm.'),
    choices: [{ key: '1', outcome: 'confirmed', reply: says('Thank you.') }],
    spoke_instead: says('Please use the keypad.'),
    invalid_key: says('That is not a choice.'),
    no_reply: says('Are you there?'),
    goodbye: says('Goodbye.'),
    retries: 0,
    reply_timeout_seconds: 2,
    outcomes: [{ name: 'confirmed', final: true }],
    ...changes
  }
}

/** Tests run at any hour: batches may dial around the clock unless a test says otherwise (the default is 09:00-21:00 IST). */
export const ANY_HOUR = { CALLING_HOURS: '00:00-24:00' }

export interface BuildOptions extends Omit<AppOptions, 'env'> {
  env?: Record<string, string>
  logger?: FastifyServerOptions['logger']
  /** Told of every route as it is added. */
  onRoute?: (route: RouteOptions) => void
}

let speechEngine: SpeechEngine | undefined

/**
 * One speech engine for every app a test process builds: each engine is a thread that loads eSpeak and has V8
 * optimise it again (a quarter of the CPU of a group of route tests). It stops when the process's tests end (the
 * root test's teardown, as the shared Cognito emulator's in ./cognito.ts).
 */
function sharedSpeechEngine (): SpeechEngine {
  if (!speechEngine) {
    const engine = speechEngine = new SpeechEngine()
    tap.teardown(() => engine.close())
  }
  return speechEngine
}

/** Builds the app without listening, on in-memory PGlite unless told otherwise; closed when the test ends. */
export async function build (t: Test, options: BuildOptions = {}): Promise<FastifyInstance> {
  const { logger = false, env, onRoute, ...appOptions } = options
  // No plugin timeout: starting PGlite and the emulator on a busy machine can take more than avvio's 10 s.
  const server = Fastify({ ...serverOptions, logger, pluginTimeout: 0 })
  if (onRoute) server.addHook('onRoute', onRoute)
  // The speech engine starts when a test's call first speaks, not with every app.
  // People who sign up in a test may act (operator) unless it says otherwise.
  const fullEnv: Record<string, string> = { DATA_DIR: 'memory://', SPEECH_WARM_UP: 'false', SIGNUP_ROLE: 'operator', ...ANY_HOUR, ...env }
  // A new in-memory database with the app's own migrations starts from the run's migrated copy.
  const embedded = !fullEnv.DATABASE_URL && !appOptions.migrationsDir
  const inMemory = fullEnv.DATA_DIR === 'memory://'
  // Local Cognito, in memory: the process's one emulator rather than one an app. The first starts while the
  // database opens: the app waits for it after its migrations.
  const sharedEmulator = inMemory && !fullEnv.COGNITO_USER_POOL_ID && fullEnv.NODE_ENV !== 'production'
    ? sharedEmulatorOf()
    : undefined
  sharedEmulator?.catch(() => {}) // an app that fails before it waits for it leaves the failure to the next that does
  const startFrom = embedded && inMemory ? await pgliteTemplate() : undefined
  server.register(fp(app), { speechEngine: sharedSpeechEngine(), ...appOptions, startFrom, sharedEmulator, env: fullEnv })
  t.teardown(() => server.close())
  await server.ready()
  return server
}

/** A logger like the server's that keeps every line it writes, parsed, for tests of what reaches the log. */
export function capturingLogger (level = 'info') {
  const lines: string[] = []
  const stream = new Writable({
    write (chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean))
      done()
    }
  })
  return { lines, logger: { ...logOptions(level), stream } }
}

/** The app's own migrations and the given extra ones (numbered after them), for tests of the app's migrating. */
export async function appMigrationsAnd (extra: Record<string, string>): Promise<string> {
  const dir = path.join(projectRoot, 'migrations')
  const files: Record<string, string> = {}
  for (const name of (await readdir(dir)).filter((file) => file.endsWith('.sql'))) {
    files[name] = await readFile(path.join(dir, name), 'utf8')
  }
  return await migrationsFolder({ ...files, ...extra })
}

/** A temporary folder holding the given migration files (name -> SQL), for tests of the migrator. */
export async function migrationsFolder (files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'vcm-migrations-'))
  for (const [name, sql] of Object.entries(files)) await writeFile(path.join(dir, name), sql)
  return dir
}

export const PASSWORD = 'Passw0rd!long'
let users = 0

/**
 * Signs users up and in through the app's HTTP API, reading each confirmation code from the app's log as an
 * operator would (`lines` from capturingLogger, given to the app as its logger).
 */
export function testUsers (app: FastifyInstance, lines: string[]) {
  const newEmail = () => `user${++users}.${Date.now()}@example.com`
  const codesSent = (email: string): string[] => lines
    .filter((l) => l.includes('local Cognito: confirmation code') && l.includes(email))
    .map((l) => JSON.parse(l).code)

  /** The code the server logged for `email` after the first `already` ones. */
  async function codeFor (email: string, already = 0): Promise<string> {
    for (let i = 0; i < 100; i++) {
      const code = codesSent(email)[already]
      if (code) return code
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    throw new Error(`no code logged for ${email}`)
  }

  /** A new confirmed user, signed in: their email and the login answer (access_token, refresh_token, ...). */
  async function signedIn () {
    const email = newEmail()
    const signup = await app.inject({ method: 'POST', url: '/auth/signup', payload: { email, password: PASSWORD } })
    if (signup.statusCode !== 201) throw new Error(`signup failed: ${signup.body}`)
    await app.inject({
      method: 'POST', url: '/auth/confirm-signup', payload: { email, confirmation_code: await codeFor(email) }
    })
    const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { email, password: PASSWORD } })
    return { email, ...login.json() }
  }

  /** A new user with `role` (set as an administrator would), signed in again so that their token carries it. */
  async function withRole (role: 'viewer' | 'operator' | 'admin') {
    const user = await signedIn()
    await app.cognitoUsers.setRole(user.email, role)
    const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: user.email, password: PASSWORD } })
    return { email: user.email, ...login.json(), authorization: `Bearer ${login.json().access_token as string}` }
  }

  return { newEmail, codeFor, signedIn, withRole }
}

/**
 * Simulated calls that run to their end in about a second: the phone rings 20 ms, the caller's side streams ten
 * times faster than real time and stays on up to a minute, and the bot's audio goes at once.
 */
export const FAST_CALLS = {
  EXOTEL_SIMULATOR_RING_MS: '20',
  EXOTEL_SIMULATOR_TALK_MS: '60000',
  EXOTEL_SIMULATOR_REALTIME: 'false',
  MEDIA_SEND_AHEAD_MS: '60000'
}

/** Calls one customer and waits for the call to complete with its conversation ended; answers the call's detail. */
export async function finishedConversation (app: FastifyInstance, authorization: string, customerId: string) {
  const started = await app.inject({ method: 'POST', url: '/api/trigger-single-call', payload: { customer_id: customerId }, headers: { authorization } })
  const id = started.json().call.id as string
  for (let i = 0; i < 400; i++) {
    const { call } = (await app.inject({ url: `/api/calls/${id}`, headers: { authorization } })).json()
    if (call.status === 'completed' && call.conversation?.ended_at) return call
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`the call to ${customerId} did not finish`)
}

/**
 * The app listening on loopback with the simulator, a user signed up and in, and `csv`'s customers uploaded:
 * `post` and `get` go as that user. `lines` is the log.
 */
export async function appWithCustomers (t: Test, env: Record<string, string>, csv: string, options: BuildOptions = {}) {
  const { lines, logger } = capturingLogger()
  const app = await build(t, { ...options, logger, env })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const user = await testUsers(app, lines).signedIn()
  const authorization = `Bearer ${user.access_token as string}`
  const { payload, headers } = multipartFile(csv)
  await app.inject({ method: 'POST', url: '/api/upload-customers', payload, headers: { ...headers, authorization } })
  const post = (url: string, body?: object) => app.inject({ method: 'POST', url, payload: body, headers: { authorization } })
  const get = (url: string) => app.inject({ url, headers: { authorization } })
  return { app, post, get, lines, authorization }
}

/**
 * A clock for the parts that take one (the dispatcher's sweeps): real time, moved ahead by `advance` instead of
 * waiting.
 */
export function testClock () {
  let ahead = 0
  return {
    now: () => Date.now() + ahead,
    advance: (ms: number) => { ahead += ms }
  }
}

/** Asks `check` every 25 ms until it holds; after `tries`, fails naming `what`. */
export async function until (check: () => Promise<boolean>, what: string, tries = 400) {
  for (let i = 0; i < tries; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** A multipart/form-data body holding one file, as a browser's form or `curl -F file=@name` sends it. */
export function multipartFile (content: string | Buffer, fileName = 'customers.csv', field = 'file') {
  const boundary = `----vcm${randomBytes(8).toString('hex')}`
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${fileName}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n'),
    Buffer.isBuffer(content) ? content : Buffer.from(content),
    Buffer.from(`\r\n--${boundary}--\r\n`)
  ])
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }
}

const serverFile = path.join(import.meta.dirname, '..', 'server.ts')

// The real entry point in a child process, started from an empty folder so that no developer's .env is read.
export async function startServerProcess (env: Record<string, string>) {
  const cwd = await mkdtemp(path.join(tmpdir(), 'vcm-server-'))
  if (!env.DATABASE_URL && !env.DATA_DIR) await seedDataDir(path.join(cwd, 'data'))
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), serverFile], {
    cwd,
    env: {
      PATH: process.env.PATH,
      FASTIFY_AUTOLOAD_TYPESCRIPT: '1', // autoload cannot tell that tsx is loaded through --import
      // tap would record this child's coverage too; tsx compiles the sources differently from tap's loader and
      // the two maps merge into false gaps, while the in-process tests already cover these files.
      _TAPJS_PROCESSINFO_COVERAGE_: '0',
      DATA_DIR: path.join(cwd, 'data'),
      // No test of a server process waits for its speech engine: its warm-up (1.4 s of CPU) would be spent for nothing.
      SPEECH_WARM_UP: 'false',
      ...ANY_HOUR,
      ...env
    },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => { stdout += chunk })
  child.stderr.on('data', (chunk) => { stderr += chunk })
  const exited = once(child, 'exit').then(([code]) => code as number)
  /** Where it listens, once it has said so. */
  async function address (): Promise<string> {
    for (let i = 0; i < 600; i++) {
      const found = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1]
      if (found) return found
      if (child.exitCode !== null) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    throw new Error(`the server did not start: ${stderr}`)
  }
  return { child, exited, address, output: () => ({ stdout, stderr }) }
}

/**
 * A person signed up and signed in on a server process, its confirmation code read from the process's log as an
 * operator would: `post` and `get` send JSON with their token to `base` (which `base()` may change: a restart).
 */
export async function personOnProcess (server: Awaited<ReturnType<typeof startServerProcess>>, base: () => string) {
  const email = `person.${Date.now()}.${randomBytes(3).toString('hex')}@example.com`
  let token: string | undefined
  const send = async (method: string, url: string, body?: unknown) => await fetch(`${base()}${url}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  await send('POST', '/auth/signup', { email, password: PASSWORD })
  let code: string | undefined
  for (let i = 0; i < 100 && !code; i++) {
    code = server.output().stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { email?: string, code?: string })
      .find((line) => line.email === email)?.code
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  await send('POST', '/auth/confirm-signup', { email, confirmation_code: code })
  const signIn = async () => { token = ((await (await send('POST', '/auth/login', { email, password: PASSWORD })).json()) as { access_token: string }).access_token }
  await signIn()
  return {
    email,
    signIn,
    get token () { return token! },
    post: async (url: string, body: unknown = {}) => await send('POST', url, body),
    get: async (url: string) => await send('GET', url),
    upload: async (csv: string, fileName = 'customers.csv') => {
      const { payload, headers } = multipartFile(csv, fileName)
      return await fetch(`${base()}/api/upload-customers`, { method: 'POST', body: payload, headers: { ...headers, authorization: `Bearer ${token!}` } })
    }
  }
}
