import { Type } from '@sinclair/typebox'

const Email = Type.String({ format: 'email', maxLength: 254, description: 'The email the account signs in with' })
const Password = Type.String({ minLength: 1, maxLength: 256 })
const Success = Type.Literal(true)

export const SignupBody = Type.Object({
  email: Email,
  password: Password,
  first_name: Type.Optional(Type.String({ maxLength: 100 })),
  last_name: Type.Optional(Type.String({ maxLength: 100 }))
}, { additionalProperties: false })

export const SignupResponse = Type.Object({
  success: Success,
  message: Type.String(),
  user_sub: Type.String({ description: 'The Cognito id of the new user' }),
  confirmation_required: Type.Boolean({ description: 'True until the emailed code is sent to /auth/confirm-signup' }),
  code_sent_to: Type.Optional(Type.Union([Type.Literal('email'), Type.Literal('server-log')], {
    description: 'Where the confirmation code went: by email, or (local mode, with no Cognito) to the server\'s log'
  }))
})

export const ConfirmSignupBody = Type.Object({
  email: Email,
  confirmation_code: Type.String({ minLength: 1, maxLength: 32 })
}, { additionalProperties: false })

export const MessageResponse = Type.Object({ success: Success, message: Type.String() })

export const LoginBody = Type.Object({
  email: Email,
  password: Password,
  new_password: Type.Optional(Type.String({
    minLength: 1,
    maxLength: 256,
    description: 'An invited person\'s first sign-in: the password of their own that replaces the temporary one'
  }))
}, { additionalProperties: false })

export const RoleName = Type.Unsafe<'viewer' | 'operator' | 'admin'>({
  type: 'string',
  enum: ['viewer', 'operator', 'admin'],
  description: 'viewer: reads only, phone numbers masked; operator: customers, campaigns, calls, assistants, do-not-call; ' +
    'admin: everything, and the people who may sign in'
})

/** A refused sign-in: the envelope, and whether a new password is what is missing. */
export const LoginRefusal = Type.Object({
  success: Type.Literal(false),
  message: Type.String(),
  new_password_required: Type.Optional(Type.Boolean({
    description: 'True when the account has a temporary password: sign in again with `new_password`'
  }))
})

export const LoginUser = Type.Object({
  sub: Type.String(),
  username: Type.String(),
  email: Type.String(),
  email_verified: Type.Boolean(),
  role: Type.Union([RoleName, Type.Null()], { description: 'What the person may do; null: no role yet' })
})

export const LoginResponse = Type.Object({
  success: Success,
  access_token: Type.String(),
  refresh_token: Type.String(),
  id_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'Seconds until the access token expires' }),
  user: LoginUser
})

export const RefreshBody = Type.Object({
  refresh_token: Type.String({ minLength: 1, maxLength: 8192 }),
  username: Type.Optional(Type.String({
    maxLength: 128,
    description: 'The user\'s Cognito username (the `username` claim); needed only by confidential app clients'
  }))
}, { additionalProperties: false })

export const RefreshResponse = Type.Object({
  success: Success,
  access_token: Type.String(),
  id_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer()
})

export const LogoutBody = Type.Object({
  refresh_token: Type.Optional(Type.String({ minLength: 1, maxLength: 8192, description: 'Revoked too when given' }))
}, { additionalProperties: false })

export const MeResponse = Type.Object({
  success: Success,
  user: Type.Object({
    sub: Type.String(),
    username: Type.String(),
    email: Type.Optional(Type.String()),
    email_verified: Type.Optional(Type.Boolean()),
    given_name: Type.Optional(Type.String()),
    family_name: Type.Optional(Type.String()),
    groups: Type.Array(Type.String()),
    role: Type.Union([RoleName, Type.Null()]),
    token_use: Type.Literal('access'),
    scope: Type.Optional(Type.String()),
    auth_time: Type.Integer(),
    iat: Type.Integer(),
    exp: Type.Integer()
  })
})

export const EmailBody = Type.Object({ email: Email }, { additionalProperties: false })

export const ConfirmForgotPasswordBody = Type.Object({
  email: Email,
  confirmation_code: Type.String({ minLength: 1, maxLength: 32 }),
  new_password: Password
}, { additionalProperties: false })

export const ChangePasswordBody = Type.Object({
  previous_password: Password,
  proposed_password: Password
}, { additionalProperties: false })
