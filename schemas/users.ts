import { Type } from '@sinclair/typebox'
import { RoleName } from './auth.js'
import { Nullable, Timestamp } from './common.js'

export const PoolUser = Type.Object({
  username: Type.String({ description: 'The Cognito username: the id in /api/users/:username' }),
  sub: Type.String({ description: 'The Cognito sub: the actor named in the audit trail' }),
  email: Type.String(),
  role: Nullable(RoleName),
  enabled: Type.Boolean({ description: 'False: the person may not sign in, and their tokens are refused' }),
  status: Type.String({ description: 'Cognito\'s word: CONFIRMED, UNCONFIRMED, FORCE_CHANGE_PASSWORD (invited, not signed in yet)' }),
  created_at: Timestamp
}, { additionalProperties: false })

export const UserList = Type.Object({ success: Type.Literal(true), users: Type.Array(PoolUser) })

export const UserResponse = Type.Object({ success: Type.Literal(true), message: Type.String(), user: PoolUser })

export const InviteBody = Type.Object({
  email: Type.String({ format: 'email', maxLength: 254 }),
  role: RoleName
}, { additionalProperties: false })

export const InviteResponse = Type.Object({
  success: Type.Literal(true),
  message: Type.String(),
  user: PoolUser,
  temporary_password_sent_to: Type.Union([Type.Literal('email'), Type.Literal('server-log')], {
    description: 'Where the invitation\'s temporary password went: by email, or (local mode) to the server\'s log'
  })
})

export const UserParams = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 128, pattern: '^[\\w.@+=,-]+$' })
}, { additionalProperties: false })

export const EditUserBody = Type.Object({
  role: Type.Optional(RoleName),
  enabled: Type.Optional(Type.Boolean({ description: 'false disables: refused from their next request, on every instance' }))
}, { additionalProperties: false, minProperties: 1 })
