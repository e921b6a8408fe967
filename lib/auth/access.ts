import type { Config } from '../../schemas/config.js'
import type { Queryable } from '../db/database.js'
import type { Role } from './roles.js'

/** Who may sign up, and what role newcomers get. */
export interface AccessPolicy {
  signupMode: 'open' | 'domains' | 'invite'
  allowedDomains: string[]
  adminEmails: Set<string>
  signupRole: Role
}

const list = (text: string | undefined) => (text ?? '').split(',').map((item) => item.trim().toLowerCase()).filter(Boolean)

export function accessPolicy (config: Config): AccessPolicy {
  return {
    signupMode: config.SIGNUP_MODE ?? (config.NODE_ENV === 'production' ? 'invite' : 'open'),
    allowedDomains: list(config.ALLOWED_EMAIL_DOMAINS).map((domain) => domain.replace(/^@/, '')),
    adminEmails: new Set(list(config.ADMIN_EMAILS)),
    signupRole: config.SIGNUP_ROLE
  }
}

/** Why `email` may not sign up itself, or undefined when it may. */
export function signupRefusal (policy: AccessPolicy, email: string): string | undefined {
  if (policy.signupMode === 'invite') return 'Sign-up is by invitation only: ask an administrator to invite you'
  if (policy.signupMode === 'domains') {
    const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase()
    if (!policy.allowedDomains.includes(domain)) {
      return `Sign-up is open to emails of ${policy.allowedDomains.join(', ')} only: ask an administrator to invite you`
    }
  }
  return undefined
}

/**
 * The role of a person signing in with none: an administrator when ADMIN_EMAILS names them, or when they are the
 * first to sign in to a deployment with no administrator (one person, even when two sign in at once); else
 * SIGNUP_ROLE.
 */
export async function newcomerRole (
  policy: AccessPolicy, db: Queryable, person: { sub: string, email: string }, hasAdmin: () => Promise<boolean>
): Promise<Role> {
  if (policy.adminEmails.has(person.email.toLowerCase())) return 'admin'
  if (!await hasAdmin()) {
    const { rowCount } = await db.query('INSERT INTO first_admin (sub) VALUES ($1) ON CONFLICT DO NOTHING', [person.sub])
    if (rowCount > 0) return 'admin'
  }
  return policy.signupRole
}
