import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { AccessClaims } from '../../lib/auth/cognito.js'
import { openRevocationList, type RevocationList } from '../../lib/auth/revocations.js'

/** Who made an authenticated request, from their verified Cognito access token. */
export interface AuthenticatedUser {
  sub: string
  username: string
  groups: string[]
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
  }
  interface FastifyRequest {
    user: AuthenticatedUser | null
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
  fastify.decorate('revocations', await openRevocationList(fastify.db))
  fastify.decorateRequest('user', null)
  fastify.decorate('authenticate', async function (request: FastifyRequest, reply: FastifyReply) {
    const header = request.headers.authorization
    if (!header) return refuse(reply, 'Missing bearer token')
    const token = BEARER.exec(header)?.[1]
    if (!token) return refuse(reply, 'Authorization header must be "Bearer <access token>"', 'invalid_request')
    let claims: AccessClaims
    try {
      claims = await fastify.cognito.verifyAccessToken(token)
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 503) throw error
      request.log.info({ reason: (error as Error).message }, 'access token refused')
      return refuse(reply, 'Invalid or expired token', 'invalid_token')
    }
    if (claims.jti && await fastify.revocations.isRevoked(claims.jti)) {
      return refuse(reply, 'Token has been revoked', 'invalid_token')
    }
    request.user = {
      sub: claims.sub,
      username: claims.username,
      groups: claims['cognito:groups'] ?? [],
      scope: claims.scope,
      token_use: claims.token_use,
      auth_time: claims.auth_time,
      iat: claims.iat,
      exp: claims.exp,
      jti: claims.jti,
      accessToken: token
    }
  })
}, { name: 'authenticate', dependencies: ['cognito', 'db'] })
