import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider'
import fp from 'fastify-plugin'
import { AuthError, CognitoAuth } from '../../lib/auth/cognito.js'
import { CognitoUsers } from '../../lib/auth/cognito-users.js'
import { localCognitoClient, startLocalCognito, type LocalCognito, type LocalCognitoOptions } from '../../lib/auth/cognito-local.js'
import { programClients } from '../../lib/auth/roles.js'
import { cachedVerifier, cognitoAccessVerifier, issuerAccessVerifier } from '../../lib/auth/cognito-verifier.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Sign-up, sign-in and token operations; throws "Cognito not configured" when there is no Cognito. */
    cognito: CognitoAuth
    /** The administrator's operations on the pool's people (roles, invitations, disabling); same failure when none. */
    cognitoUsers: CognitoUsers
  }
}

// Every operation fails alike, so routes need not know whether Cognito is configured.
function notConfigured<T> (operations: string[]): T {
  const known = new Set(operations)
  return new Proxy({}, {
    get: (_target, name) => typeof name === 'string' && known.has(name)
      ? async () => { throw new AuthError(503, 'Cognito not configured') }
      : undefined
  }) as T
}

export interface CognitoPluginOptions {
  /**
   * In local mode with DATA_DIR memory://, an emulator already running to use instead of starting one: the tests
   * share one per process, which may still be starting (while the database opens). `onCode` subscribes to the
   * codes it sends, and answers how to unsubscribe.
   */
  sharedEmulator?: SharedEmulator | Promise<SharedEmulator>
}

export type SharedEmulator = LocalCognito & { onCode (listener: LocalCognitoOptions['onCode']): () => void }

/**
 * Cognito in one of three modes: the user pool named by COGNITO_USER_POOL_ID (real Cognito, or the
 * Cognito-compatible COGNITO_ENDPOINT); with no pool outside production, the cognito-local emulator started
 * here, its pool kept in DATA_DIR; in production with no pool, none ("Cognito not configured").
 */
export default fp<CognitoPluginOptions>(async function cognito (fastify, opts) {
  const config = fastify.config
  if (config.COGNITO_USER_POOL_ID) {
    const poolId = config.COGNITO_USER_POOL_ID
    const clientId = config.COGNITO_CLIENT_ID! // the config plugin requires it with a pool
    const clients = [clientId, ...programClients(config.COGNITO_PROGRAM_CLIENT_IDS)]
    const endpoint = config.COGNITO_ENDPOINT
    const client = endpoint
      ? localCognitoClient(endpoint)
      : new CognitoIdentityProviderClient({ region: config.AWS_REGION ?? poolId.split('_')[0] })
    fastify.decorate('cognitoUsers', new CognitoUsers(client, poolId))
    fastify.decorate('cognito', new CognitoAuth({
      client,
      clientId,
      clientSecret: config.COGNITO_CLIENT_SECRET,
      verifyAccessToken: cachedVerifier(endpoint
        ? issuerAccessVerifier(`${endpoint}/${poolId}`, clients)
        : cognitoAccessVerifier(poolId, clients))
    }))
    fastify.addHook('onClose', async () => client.destroy())
    return
  }
  if (config.NODE_ENV === 'production') {
    fastify.log.warn('COGNITO_USER_POOL_ID is not set: sign-up, sign-in and every protected route answer 503')
    fastify.decorate('cognito', notConfigured<CognitoAuth>([...Object.getOwnPropertyNames(CognitoAuth.prototype), 'verifyAccessToken']))
    fastify.decorate('cognitoUsers', notConfigured<CognitoUsers>(Object.getOwnPropertyNames(CognitoUsers.prototype)))
    return
  }

  // Local mode only: the emulator sends no email, so the code (or an invitation's temporary password) a person
  // needs is shown here.
  const logCode = (email: string, code: string, kind: 'code' | 'temporary-password') => fastify.log.info({ email, code },
    kind === 'code' ? 'local Cognito: confirmation code' : 'local Cognito: invitation, temporary password')
  const inMemory = config.DATA_DIR.startsWith('memory://')
  let local: LocalCognito
  let release: () => Promise<void>
  if (inMemory && opts.sharedEmulator) {
    const shared = await opts.sharedEmulator
    local = shared
    const unsubscribe = shared.onCode(logCode)
    release = async () => unsubscribe()
  } else {
    const dir = inMemory ? await mkdtemp(path.join(tmpdir(), 'vcm-cognito-')) : path.join(config.DATA_DIR, 'cognito')
    local = await startLocalCognito({ dir, onCode: logCode })
    release = async () => {
      await local.stop()
      if (inMemory) await rm(dir, { recursive: true, force: true })
    }
  }
  const client = localCognitoClient(local.endpoint)
  fastify.addHook('onClose', async () => {
    client.destroy()
    await release()
  })
  fastify.log.info({ endpoint: local.endpoint, userPoolId: local.userPoolId }, 'local Cognito emulator started')
  fastify.decorate('cognitoUsers', new CognitoUsers(client, local.userPoolId))
  fastify.decorate('cognito', new CognitoAuth({
    client,
    clientId: local.clientId,
    verifyAccessToken: cachedVerifier(issuerAccessVerifier(local.issuer,
      [local.clientId, ...programClients(config.COGNITO_PROGRAM_CLIENT_IDS)])),
    codesSentTo: 'server-log'
  }))
}, { name: 'cognito', dependencies: ['env', 'db'] }) // after the migrations: a failed start then leaves no emulator running
