/** What a person may do, from the Cognito group they are in. */
export type Role = 'viewer' | 'operator' | 'admin'

/** From least to most: each role may do what the ones before it may. */
export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin']

/** What each role is for, as the API documentation and the Users screen say it. */
export const ROLE_WORDS: Record<Role, string> = {
  viewer: 'reads only; phone numbers show their last four digits',
  operator: 'customers, campaigns, calls, assistants and the do-not-call list',
  admin: 'everything, and the people who may sign in'
}

/** The highest role among a token's groups; undefined when it names none. */
export function roleOf (groups: readonly string[]): Role | undefined {
  for (const role of [...ROLES].reverse()) if (groups.includes(role)) return role
  return undefined
}

/** Whether `role` may do what `needed` is required for; nothing is allowed where nothing is required (a route that forgot). */
export function allows (role: Role | undefined, needed: Role | undefined): boolean {
  return role !== undefined && needed !== undefined && ROLES.indexOf(role) >= ROLES.indexOf(needed)
}

const E164 = /^\+\d{6,15}$/

/** A phone number as a viewer sees it: its last four digits. */
export function maskPhone (phone: string): string {
  return `••••${phone.slice(-4)}`
}

/**
 * The value with every phone number in it masked: fields named `phone`, and any string that is a number in E.164
 * (an uploaded file's columns may hold more numbers). Made anew; the value given is not changed.
 */
export function maskPhones (value: unknown, key = ''): unknown {
  if (typeof value === 'string') return key === 'phone' || E164.test(value) ? maskPhone(value) : value
  if (Array.isArray(value)) return value.map((item) => maskPhones(item))
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, maskPhones(item, name)]))
  }
  return value
}

/** The app clients of programs, from COGNITO_PROGRAM_CLIENT_IDS. */
export function programClients (list: string | undefined): string[] {
  return (list ?? '').split(',').map((id) => id.trim()).filter(Boolean)
}

/** A program's scope for each role, on the resource server `server`: read, write, admin. */
export const SCOPES: Record<Role, string> = { viewer: 'read', operator: 'write', admin: 'admin' }

/** The highest role a program's scopes (the token's space-separated `scope`) grant; undefined when none. */
export function programRole (scope: string | undefined, server: string): Role | undefined {
  const held = new Set((scope ?? '').split(' '))
  for (const role of [...ROLES].reverse()) if (held.has(`${server}/${SCOPES[role]}`)) return role
  return undefined
}
