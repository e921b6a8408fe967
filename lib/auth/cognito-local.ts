import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFile, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import path from 'node:path'
import { privateDir } from '../server/private-dir.js'
import {
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  DescribeUserPoolCommand
} from '@aws-sdk/client-cognito-identity-provider'

/** A running cognito-local emulator with the pool and app client the server uses. */
export interface LocalCognito {
  endpoint: string
  userPoolId: string
  clientId: string
  /** The `iss` of its tokens; its JWKS is at `${issuer}/.well-known/jwks.json`. */
  issuer: string
  stop (): Promise<void>
}

export interface LocalCognitoOptions {
  /** Where the emulator keeps its users, pools and the ids of ours; kept across restarts. */
  dir: string
  /**
   * Told of every confirmation or reset code, and every invitation's temporary password (`kind`), the emulator
   * would have sent by email.
   */
  onCode: (destination: string, code: string, kind: 'code' | 'temporary-password') => void
  /** How long to wait for the emulator to listen. */
  startTimeoutMs?: number
}

// Dummy credentials: the emulator checks none, but the SDK insists on having some.
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' }

export function localCognitoClient (endpoint: string): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({ endpoint, region: 'local', credentials: LOCAL_CREDENTIALS })
}

// The emulator "emails" a code by logging a box through a logger that can hold it back until its next
// request. This start script has its console sender write each code at once as a JSON line instead (with what sent
// it: an invitation's temporary password, or a code), and fills in what the emulator lacks or does unlike Cognito.
const CHILD = `
const fs = require('node:fs')
const path = require('node:path')
const main = process.env.COGNITO_LOCAL_MAIN
const lib = (file) => require(path.join(path.dirname(main), file))
const { ConsoleMessageSender } = lib('services/messageDelivery/consoleMessageSender.js')
ConsoleMessageSender.prototype.sendToConsole = async (ctx, user, destination, message) => {
  fs.writeSync(1, JSON.stringify({ destination, code: message.__code, source: message.__source }) + '\\n')
}
const { MessagesService } = lib('services/messages.js')
const create = MessagesService.prototype.create
MessagesService.prototype.create = async function (ctx, source, ...rest) {
  return { ...await create.call(this, ctx, source, ...rest), __source: source }
}
const { Targets } = lib('targets/targets.js')
const { CognitoError, NotAuthorizedError, InvalidPasswordError } = lib('errors.js')
// ForgotPassword makes, sends and stores a new code in the field ConfirmSignUp checks: what ResendConfirmationCode
// does. GlobalSignOut has nothing to end in the emulator; the server's revocation list refuses the token.
Targets.ResendConfirmationCode = Targets.ForgotPassword
Targets.GlobalSignOut = () => async () => ({})
Targets.AdminUserGlobalSignOut = () => async () => ({})
// Cognito refuses a group that exists; the emulator would replace it, and its members with it.
const createGroup = Targets.CreateGroup
Targets.CreateGroup = (services) => async (ctx, req) => {
  const pool = await services.cognito.getUserPool(ctx, req.UserPoolId)
  // (It cannot look a group up in a pool that has none yet.)
  if (await pool.getGroupByGroupName(ctx, req.GroupName).catch(() => undefined)) throw new CognitoError('GroupExistsException', 'A group with the name already exists.')
  return await createGroup(services)(ctx, req)
}
// Cognito refuses a disabled user's sign-in and refresh, and checks a temporary password before asking for a new one.
const initiateAuth = Targets.InitiateAuth
Targets.InitiateAuth = (services) => async (ctx, req) => {
  const pool = await services.cognito.getUserPoolForClientId(ctx, req.ClientId)
  const params = req.AuthParameters ?? {}
  const user = params.REFRESH_TOKEN
    ? await pool.getUserByRefreshToken(ctx, params.REFRESH_TOKEN)
    : params.USERNAME ? await pool.getUserByUsername(ctx, params.USERNAME) : undefined
  if (user && user.Enabled === false) throw new NotAuthorizedError('User is disabled.')
  if (user && user.UserStatus === 'FORCE_CHANGE_PASSWORD' && user.Password !== params.PASSWORD) throw new InvalidPasswordError()
  return await initiateAuth(services)(ctx, req)
}
// Cognito keeps the refresh token a new password's sign-in gives; the emulator forgets it, so it cannot be used.
const respond = Targets.RespondToAuthChallenge
Targets.RespondToAuthChallenge = (services) => async (ctx, req) => {
  const result = await respond(services)(ctx, req)
  const token = result.AuthenticationResult && result.AuthenticationResult.RefreshToken
  if (token) {
    const pool = await services.cognito.getUserPoolForClientId(ctx, req.ClientId)
    await pool.storeRefreshToken(ctx, token, await pool.getUserByUsername(ctx, req.ChallengeResponses.USERNAME))
  }
  return result
}
// A parent killed outright (kill -9) cannot stop its children: leave when it is gone.
const parent = Number(process.env.COGNITO_LOCAL_PARENT)
setInterval(() => { if (process.ppid !== parent) process.exit(0) }, 500).unref()
const { createDefaultServer } = require(main)
const pino = require(process.env.COGNITO_LOCAL_PINO)
const logger = pino({ level: 'warn' }, pino.destination({ dest: 2, sync: true }))
createDefaultServer(logger)
  .then((server) => server.start())
  .then(() => fs.writeSync(1, JSON.stringify({ listening: true }) + '\\n'), (error) => { logger.error(error); process.exit(1) })
`

/** One line of the emulator's output: a code it sent, its start, or nothing we need. */
export function parseEmulatorLine (line: string): { destination?: string, code?: string, source?: string, listening?: boolean } {
  try {
    return JSON.parse(line)
  } catch {
    return {}
  }
}

/** `preferred` when it is free, else any free loopback port. */
async function freePort (preferred = 0): Promise<number> {
  const server = createServer().listen(preferred, '127.0.0.1')
  const error = await Promise.race([once(server, 'listening').then(() => undefined), once(server, 'error')])
  if (error) return await freePort()
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

/**
 * Starts cognito-local (a development dependency) as a child process on a free loopback port, and creates our
 * user pool (email as the username, verified by code) and app client once, keeping their ids in `dir`. The port
 * is kept there too and taken again when free: a token's issuer names it, so signed-in users stay signed in
 * across restarts of the server.
 */
export async function startLocalCognito (options: LocalCognitoOptions): Promise<LocalCognito> {
  const main = createRequire(import.meta.url).resolve('cognito-local')
  await privateDir(options.dir) // its users' passwords are in there, in plain text
  const portFile = path.join(options.dir, 'port')
  const port = await freePort(Number(await readFile(portFile, 'utf8').catch(() => '0')))
  const endpoint = `http://127.0.0.1:${port}`
  const child = spawn(process.execPath, ['-e', CHILD], {
    cwd: options.dir, // the emulator keeps its data in .cognito/ under its working folder
    env: {
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      PORT: String(port),
      COGNITO_LOCAL_MAIN: main,
      COGNITO_LOCAL_PARENT: String(process.pid),
      COGNITO_LOCAL_PINO: createRequire(main).resolve('pino')
    },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const exited = once(child, 'exit')

  let output = '' // the last lines, for the error when it fails to start
  let partial = ''
  const started = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`cognito-local did not start: ${output.slice(-500)}`)),
      options.startTimeoutMs ?? 20_000)
    const onLine = (line: string) => {
      const event = parseEmulatorLine(line)
      if (event.destination && event.code) {
        options.onCode(event.destination, event.code, event.source === 'AdminCreateUser' ? 'temporary-password' : 'code')
      }
      if (event.listening) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.stdout.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n')
      partial = lines.pop()!
      lines.forEach(onLine)
      output = (output + chunk.toString()).slice(-2000)
    })
    child.stderr.on('data', (chunk: Buffer) => { output = (output + chunk.toString()).slice(-2000) })
    exited.then(() => {
      clearTimeout(timer)
      reject(new Error(`cognito-local exited: ${output.slice(-500)}`))
    })
  })
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM')
      await exited
    }
  }
  try {
    await started
    const ids = await ensurePoolAndClient(localCognitoClient(endpoint), path.join(options.dir, 'pool.json'))
    await writeFile(portFile, String(port))
    return { endpoint, ...ids, issuer: `${endpoint}/${ids.userPoolId}`, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

async function ensurePoolAndClient (client: CognitoIdentityProviderClient, file: string) {
  const saved = await readFile(file, 'utf8').then((text) => JSON.parse(text) as { userPoolId: string, clientId: string },
    () => undefined)
  if (saved) {
    const exists = await client.send(new DescribeUserPoolCommand({ UserPoolId: saved.userPoolId })).then(() => true,
      () => false)
    if (exists) return saved
  }
  const pool = await client.send(new CreateUserPoolCommand({
    PoolName: 'voice-call-manager',
    UsernameAttributes: ['email'],
    AutoVerifiedAttributes: ['email']
  }))
  const appClient = await client.send(new CreateUserPoolClientCommand({
    UserPoolId: pool.UserPool!.Id!,
    ClientName: 'voice-call-manager',
    ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']
  }))
  const ids = { userPoolId: pool.UserPool!.Id!, clientId: appClient.UserPoolClient!.ClientId! }
  await writeFile(file, JSON.stringify(ids, null, 2))
  return ids
}
