import { CognitoJwtVerifier, JwtVerifier } from 'aws-jwt-verify'
import { SimpleJwksCache } from 'aws-jwt-verify/jwk'
import type { AccessClaims } from './cognito.js'

type Verify = (token: string) => Promise<AccessClaims>

/**
 * Real Cognito: signature against the pool's JWKS (fetched once, cached), issuer, expiry, `token_use` access
 * and `client_id` (the app's client, or a program's) are all checked by aws-jwt-verify.
 */
export function cognitoAccessVerifier (userPoolId: string, clientId: string | string[]): Verify {
  const verifier = CognitoJwtVerifier.create({ userPoolId, tokenUse: 'access', clientId })
  return async (token) => await verifier.verify(token) as unknown as AccessClaims
}

/**
 * A Cognito-compatible issuer (the local emulator) on plain http, whose pool ids CognitoJwtVerifier rejects:
 * the same checks, written out.
 */
export function issuerAccessVerifier (issuer: string, clientId: string | string[]): Verify {
  const clients = [clientId].flat()
  const jwksCache = new SimpleJwksCache({
    fetcher: { fetch: async (uri: string) => (await fetch(uri)).arrayBuffer() }
  })
  const verifier = JwtVerifier.create({
    issuer,
    jwksUri: `${issuer}/.well-known/jwks.json`,
    audience: null,
    customJwtCheck: ({ payload }) => {
      if (payload.token_use !== 'access') throw new Error('not an access token')
      if (!clients.includes(String(payload.client_id))) throw new Error('token of another client')
    }
  }, { jwksCache })
  return async (token) => await verifier.verify(token) as unknown as AccessClaims
}

/**
 * Remembers tokens that passed `verify` until they expire, so a client that sends the same bearer token on every
 * request pays for one signature check. Only a byte-identical token hits: a tampered one is verified afresh.
 * At most `max` tokens are kept; the oldest verified is forgotten first.
 */
export function cachedVerifier (verify: Verify, max = 10_000): Verify {
  const verified = new Map<string, AccessClaims>()
  return async (token) => {
    const known = verified.get(token)
    if (known && known.exp * 1000 > Date.now()) return known
    verified.delete(token)
    const claims = Object.freeze(await verify(token))
    if (verified.size >= max) verified.delete(verified.keys().next().value!)
    verified.set(token, claims)
    return claims
  }
}
