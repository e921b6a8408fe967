import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { AccessClaims } from '../../lib/auth/cognito.js'
import { claimedBy, openRevocationList, type RevocationList } from '../../lib/auth/revocations.js'
import { allows, maskPhones, programClients, programRole, roleOf, type Role } from '../../lib/auth/roles.js'

/** Who made an authenticated request, from their verified Cognito access token: a person, or a program. */
export interface AuthenticatedUser {
  /** A person's Cognito sub; a program's app client id. */
  sub: string
  /** A person's Cognito username; `program:<client id>` for a program. */
  username: string
  /** A program (Cognito's client-credentials grant): no person, scopes instead of groups. */
  program: boolean
  groups: string[]
  /** What they may do: the highest of their groups `admin`, `operator`, `viewer`; none when they are in none. */
  role?: Role
  scope?: string
  token_use: 'access'
  auth_time: number
  iat: number
  exp: number
  jti?: string
  /** The bearer token itself, for calls made on the user's behalf (GetUser, GlobalSignOut). */
  accessToken: string
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Access tokens refused before their expiry (logout), on every instance. */
    revocations: RevocationList
    /** preHandler for protected routes: 401 unless the request carries a valid, unrevoked access token. */
    authenticate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
    /**
     * onRequest hook after `authenticate`: 403 unless the user's role allows the route's `config.role`. A route that
     * declares none is refused to all (`allows`): no route is open by forgetting.
     */
    authorize: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
    /** preSerialization hook: a viewer's answers with every phone number masked to its last four digits. */
    maskForViewers: (request: FastifyRequest, reply: FastifyReply, payload: unknown) => Promise<unknown>
  }
  interface FastifyRequest {
    user: AuthenticatedUser | null
  }
  interface FastifyContextConfig {
    /** The least role that may call the route (routes under /api must say). */
    role?: Role
  }
}

const BEARER = /^Bearer\s+([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*)\s*$/i

function refuse (reply: FastifyReply, message: string, error?: 'invalid_token' | 'invalid_request') {
  const challenge = error
    ? `Bearer realm="voice-call-manager", error="${error}", error_description="${message}"`
    : 'Bearer realm="voice-call-manager"'
  return reply.code(401).header('www-authenticate', challenge).send({ success: false, message })
}

export default fp(async function authenticate (fastify) {
  const revocations = await openRevocationList(fastify.db)
  fastify.decorate('revocations', revocations)
  fastify.addHook('onClose', async () => { await revocations.close() })
  fastify.decorateRequest('user', null)
  const programs = new Set(programClients(fastify.config.COGNITO_PROGRAM_CLIENT_IDS))
  const resourceServer = fastify.config.COGNITO_RESOURCE_SERVER
  fastify.decorate('authenticate', async function (request: FastifyRequest, reply: FastifyReply) {
    const header = request.headers.authorization
    if (!header) return refuse(reply, 'Missing bearer token')
    const token = BEARER.exec(header)?.[1]
    if (!token) return refuse(reply, 'Authorization header must be "Bearer <access token>"', 'invalid_request')
    // The revocation list is read while the signature is verified (on PostgreSQL that is a round trip to the
    // server); its answer counts only for a token that proves to be genuine.
    const early = fastify.revocations.refusal(claimedBy(token))
    early.catch(() => {}) // (a token refused by its signature never waits for it)
    let claims: AccessClaims
    try {
      claims = await fastify.cognito.verifyAccessToken(token)
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 503) throw error
      request.log.info({ reason: (error as Error).message }, 'access token refused')
      return refuse(reply, 'Invalid or expired token', 'invalid_token')
    }
    const refusal = await early
    if (refusal === 'revoked') return refuse(reply, 'Token has been revoked', 'invalid_token')
    if (refusal === 'cut-off') {
      return refuse(reply, 'The account\'s access changed after this token was issued: refresh it or sign in again', 'invalid_token')
    }
    const groups = claims['cognito:groups'] ?? []
    const program = claims.username === undefined && programs.has(claims.client_id)
    request.user = {
      sub: claims.sub,
      username: program ? `program:${claims.client_id}` : String(claims.username),
      program,
      groups,
      role: program ? programRole(claims.scope, resourceServer) : roleOf(groups),
      scope: claims.scope,
      token_use: claims.token_use,
      auth_time: claims.auth_time,
      iat: claims.iat,
      exp: claims.exp,
      jti: claims.jti,
      accessToken: token
    }
  })

  fastify.decorate('authorize', async function (request: FastifyRequest, reply: FastifyReply) {
    const needed = request.routeOptions.config.role
    const role = request.user!.role
    if (!allows(role, needed)) {
      return reply.code(403).send({
        success: false,
        message: role
          ? `This needs the ${needed} role; you are ${role === 'viewer' ? 'a' : 'an'} ${role}`
          : request.user!.program
            ? `This needs the ${needed} role; the program's token has no scope of ${resourceServer} (read, write or admin)`
            : `This needs the ${needed} role; your account has no role yet: ask an administrator`
      })
    }
  })
  // A viewer sees phone numbers by their last four digits, whatever the route answers.
  fastify.decorate('maskForViewers', async function (request: FastifyRequest, _reply: FastifyReply, payload: unknown) {
    return request.user?.role === 'viewer' ? maskPhones(payload) : payload
  })
}, { name: 'authenticate', dependencies: ['cognito', 'db'] })
