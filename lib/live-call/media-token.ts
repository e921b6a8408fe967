import type { Queryable } from '../db/database.js'
import { recordUntilExpiry } from '../db/expiring-ids.js'
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

export interface MediaGrant {
  /** Our call id; none when /ws-url was not told which call (the stream's `start` then says). */
  callId?: string
  /** Exotel's Call Sid, when /ws-url was told it. */
  callSid?: string
  /** The token's own id, to refuse a second use. */
  jti: string
  /** When it stops being accepted (ms since the epoch). */
  expiresAt: number
}

/**
 * Short-lived tokens that let one Exotel media stream connect for one call: handed out by /ws-url inside the
 * WebSocket URL, signed with a key derived from the shared webhook secret, so that any instance can check them.
 */
export class MediaTokens {
  readonly #key: Buffer
  readonly #ttlMs: number

  constructor (secret: string, ttlMs = 60_000) {
    this.#key = createHmac('sha256', secret).update('voice-call-manager media token').digest()
    this.#ttlMs = ttlMs
  }

  /** A token for one stream of the call; good for `ttlMs` (default: the one this was made with). */
  issue (callId: string | undefined, callSid: string | undefined, now = Date.now(), ttlMs = this.#ttlMs): string {
    const body = Buffer.from(JSON.stringify({
      c: callId, s: callSid, j: randomBytes(12).toString('base64url'), e: now + ttlMs
    })).toString('base64url')
    return `${body}.${this.#sign(body)}`
  }

  /** The grant a token carries, or why it is refused. */
  verify (token: string | undefined, now = Date.now()): MediaGrant | { error: string } {
    if (!token) return { error: 'missing token' }
    const [body = '', signature = ''] = token.split('.')
    const expected = Buffer.from(this.#sign(body))
    const given = Buffer.from(signature)
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { error: 'forged token' }
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as { c?: string, s?: string, j: string, e: number }
    if (claims.e <= now) return { error: 'expired token' }
    return { callId: claims.c, callSid: claims.s, jti: claims.j, expiresAt: claims.e }
  }

  #sign (body: string): string {
    return createHmac('sha256', this.#key).update(body).digest('base64url')
  }
}

/** Records a token's use; false when it was used before (on any instance). Expired uses are purged. */
export async function claimMediaToken (db: Queryable, grant: MediaGrant): Promise<boolean> {
  return await recordUntilExpiry(db, 'media_token_use', grant.jti, new Date(grant.expiresAt))
}
