import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import path from 'node:path'
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
  /** Told of every confirmation or reset code the emulator would have sent by email. */
  onCode: (destination: string, code: string) => void
  /** How long to wait for the emulator to listen. */
  startTimeoutMs?: number
}

// Dummy credentials: the emulator checks none, but the SDK insists on having some.
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' }

export function localCognitoClient (endpoint: string): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({ endpoint, region: 'local', credentials: LOCAL_CREDENTIALS })
}

async function freePort (): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

/**
 * Starts cognito-local (a development dependency) as a child process on a free loopback port, and creates our
 * user pool (email as the username, verified by code) and app client once, keeping their ids in `dir`.
 */
export async function startLocalCognito (options: LocalCognitoOptions): Promise<LocalCognito> {
  const bin = createRequire(import.meta.url).resolve('cognito-local/lib/bin/start.js')
  await mkdir(options.dir, { recursive: true })
  const port = await freePort()
  const endpoint = `http://127.0.0.1:${port}`
  const child = spawn(process.execPath, [bin], {
    cwd: options.dir,
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: String(port), NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const exited = once(child, 'exit')

  let output = ''
  const started = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`cognito-local did not start: ${output.slice(-500)}`)),
      options.startTimeoutMs ?? 20_000)
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      // The emulator "sends" codes by printing a box with the destination and the code in it.
      for (const box of output.split('Confirmation Code Delivery').slice(1)) {
        const destination = /Destination:\s+(\S+)/.exec(box)?.[1]
        const code = /Code:\s+(\S+)/.exec(box)?.[1]
        if (destination && code) {
          options.onCode(destination, code)
          output = output.slice(output.indexOf(code) + code.length)
        }
      }
      if (output.includes('Cognito Local running on')) {
        clearTimeout(timer)
        output = ''
        resolve()
      }
    })
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
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
