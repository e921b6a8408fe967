import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { clientAddress } from '../../lib/server/client-address.js'
import { AttemptCounter } from '../../lib/auth/rate-limits.js'
import { decodeJwtPayload, NewPasswordRequired, type Tokens } from '../../lib/auth/cognito.js'
import { accessPolicy, newcomerRole, signupRefusal } from '../../lib/auth/access.js'
import { roleOf } from '../../lib/auth/roles.js'
import { recordAudit } from '../../lib/audit/audit.js'
import {
  ChangePasswordBody, ConfirmForgotPasswordBody, ConfirmSignupBody, EmailBody, LoginBody, LoginRefusal, LoginResponse, LogoutBody, MeResponse, MessageResponse, RefreshBody,
  RefreshResponse, SignupBody, SignupResponse
} from '../../schemas/auth.js'
import { ErrorRef } from '../../schemas/common.js'

const errors = { 400: ErrorRef, 401: ErrorRef, 403: ErrorRef, 429: ErrorRef, 500: ErrorRef, 502: ErrorRef, 503: ErrorRef }
const bearer = [{ bearerAuth: [] }]

const auth: FastifyPluginAsyncTypebox = async (fastify) => {
  // Brute-force protection for every route that takes a password or a code, or sends an email: per client address
  // (before the body is read), per email named in the body from one address, and, looser, per email from all
  // addresses together: someone guessing at another's email locks out their own address, not the owner.
  // (@fastify/rate-limit runs one limit a request, so the per-email counts are kept by AttemptCounters.)
  const config = fastify.config
  const perIp = fastify.rateLimit({ max: config.AUTH_RATE_LIMIT_PER_IP, timeWindow: 60_000 })
  const fromAddress = new AttemptCounter(() => fastify.db, 'email-address', config.AUTH_RATE_LIMIT_PER_EMAIL, 60_000)
  const fromAnywhere = new AttemptCounter(() => fastify.db, 'email', config.AUTH_RATE_LIMIT_PER_EMAIL_ALL_ADDRESSES, 60_000)
  const perEmail = async (request: FastifyRequest, reply: FastifyReply) => {
    const email = (request.body as { email: string }).email.toLowerCase()
    const address = clientAddress(request.ip, request.headers['x-forwarded-for'], config.TRUST_PROXY)
    const byAddress = await fromAddress.hit(`${email} ${address}`)
    const attempt = byAddress.allowed ? await fromAnywhere.hit(email) : byAddress
    if (!attempt.allowed) {
      const seconds = attempt.retryAfterSeconds
      reply.header('retry-after', seconds)
      throw fastify.httpErrors.tooManyRequests(`Too many attempts; try again in ${seconds} seconds`)
    }
  }
  const limited = { onRequest: perIp, preHandler: perEmail }
  const policy = accessPolicy(config)
  const groupsOf = (tokens: Tokens) => (decodeJwtPayload(tokens.accessToken)['cognito:groups'] ?? []) as string[]

  fastify.post('/signup', {
    ...limited,
    schema: {
      tags: ['auth'],
      operationId: 'signUp',
      security: [],
      summary: 'Register a user; a confirmation code is emailed',
      description: 'Open to anyone, to the emails of ALLOWED_EMAIL_DOMAINS, or to nobody (403: administrators invite ' +
        'people), as SIGNUP_MODE says. A person who signs up gets SIGNUP_ROLE when they first sign in.',
      body: SignupBody,
      response: { 201: SignupResponse, ...errors }
    }
  }, async (request, reply) => {
    const { email, password, first_name: firstName, last_name: lastName } = request.body
    const refusal = signupRefusal(policy, email)
    if (refusal) return reply.code(403).send({ success: false, message: refusal })
    const result = await fastify.cognito.signUp({ email, password, firstName, lastName })
    return reply.code(201).send({
      success: true,
      message: 'User registered successfully',
      user_sub: result.userSub,
      confirmation_required: !result.confirmed,
      code_sent_to: fastify.cognito.codesSentTo
    })
  })

  fastify.post('/confirm-signup', {
    ...limited,
    schema: {
      tags: ['auth'],
      operationId: 'confirmSignUp',
      security: [],
      summary: 'Confirm a registration with the emailed code',
      body: ConfirmSignupBody,
      response: { 200: MessageResponse, ...errors, 404: ErrorRef }
    }
  }, async (request) => {
    await fastify.cognito.confirmSignUp(request.body.email, request.body.confirmation_code)
    return { success: true as const, message: 'User confirmed successfully' }
  })

  fastify.post('/login', {
    ...limited,
    schema: {
      tags: ['auth'],
      operationId: 'logIn',
      security: [],
      summary: 'Sign in with email and password (USER_PASSWORD_AUTH)',
      description: 'An invited person\'s first sign-in answers 403 with `new_password_required` until it carries ' +
        '`new_password`, which replaces the temporary password. A person with no role yet gets one here: admin when ' +
        'ADMIN_EMAILS names them or nobody is admin yet, else SIGNUP_ROLE.',
      body: LoginBody,
      response: { 200: LoginResponse, ...errors, 403: LoginRefusal }
    }
  }, async (request, reply) => {
    const { email, password, new_password: newPassword } = request.body
    let tokens: Tokens
    try {
      tokens = await fastify.cognito.login(email, password, newPassword)
    } catch (error) {
      if (!(error instanceof NewPasswordRequired)) throw error
      return reply.code(403).send({ success: false, message: error.message, new_password_required: true })
    }
    let role = roleOf(groupsOf(tokens))
    if (!role) {
      const claims = decodeJwtPayload(tokens.accessToken)
      role = await newcomerRole(policy, fastify.db, { sub: String(claims.sub), email }, () => fastify.cognitoUsers.hasAdmin())
      await fastify.cognitoUsers.setRole(String(claims.username), role)
      request.log.info({ sub: claims.sub, role }, 'a person signing in with no role was given one')
      tokens = await fastify.cognito.login(email, newPassword ?? password) // the new token carries the role's group
    }
    const id = decodeJwtPayload(tokens.idToken)
    await recordAudit(fastify.db, request.actor(String(id.sub)), {
      action: 'user.signed-in', target_type: 'user', target_id: String(id.sub), summary: `${email} signed in`
    })
    return {
      success: true as const,
      access_token: tokens.accessToken,
      refresh_token: String(tokens.refreshToken),
      id_token: tokens.idToken,
      token_type: 'Bearer' as const,
      expires_in: tokens.expiresIn,
      user: {
        sub: String(id.sub),
        username: email,
        email,
        email_verified: String(id.email_verified) === 'true',
        role
      }
    }
  })

  fastify.post('/refresh', {
    schema: {
      tags: ['auth'],
      operationId: 'refreshTokens',
      security: [],
      summary: 'New access and id tokens from a refresh token (REFRESH_TOKEN_AUTH)',
      body: RefreshBody,
      response: { 200: RefreshResponse, ...errors }
    }
  }, async (request) => {
    const tokens = await fastify.cognito.refresh(request.body.refresh_token, request.body.username)
    return {
      success: true as const,
      access_token: tokens.accessToken,
      id_token: tokens.idToken,
      token_type: 'Bearer' as const,
      expires_in: tokens.expiresIn
    }
  })

  fastify.post('/logout', {
    onRequest: fastify.authenticate,
    // The body is optional: a bare POST (as public/vcm-auth.js sends) validates as an empty object.
    preValidation: async (request) => { request.body ??= {} },
    schema: {
      tags: ['auth'],
      operationId: 'logOut',
      summary: 'Sign out everywhere: the access token is refused from now on, on every instance',
      security: bearer,
      body: LogoutBody,
      response: { 200: MessageResponse, ...errors }
    }
  }, async (request) => {
    const user = request.user!
    // First, and whatever Cognito then says: this access token is refused from now on, on every instance.
    if (user.jti) await fastify.revocations.revoke(user.jti, new Date(user.exp * 1000))
    const failed = await fastify.cognito.logout(user.accessToken, request.body.refresh_token)
    if (failed.length > 0) request.log.warn({ failed }, 'logout: the access token is revoked, but not all went well')
    return {
      success: true as const,
      message: failed.length === 0
        ? 'Logged out successfully'
        : `Logged out: this access token is refused from now on; but ${failed.join('; ')}`
    }
  })

  fastify.post('/resend-confirmation', {
    ...limited,
    schema: {
      tags: ['auth'],
      operationId: 'resendConfirmation',
      security: [],
      summary: 'Email a new confirmation code (the answer is the same whether or not the email is registered)',
      body: EmailBody,
      response: { 200: MessageResponse, ...errors }
    }
  }, async (request) => {
    await fastify.cognito.resendConfirmation(request.body.email)
    return { success: true as const, message: 'If the account awaits confirmation, a new code has been sent' }
  })

  fastify.post('/forgot-password', {
    ...limited,
    schema: {
      tags: ['auth'],
      operationId: 'forgotPassword',
      security: [],
      summary: 'Email a password reset code (the answer is the same whether or not the email is registered)',
      body: EmailBody,
      response: { 200: MessageResponse, ...errors }
    }
  }, async (request) => {
    await fastify.cognito.forgotPassword(request.body.email)
    return { success: true as const, message: 'If the account exists, a reset code has been sent' }
  })

  fastify.post('/confirm-forgot-password', {
    ...limited,
    schema: {
      tags: ['auth'],
      operationId: 'confirmForgotPassword',
      security: [],
      summary: 'Set a new password with the emailed reset code',
      body: ConfirmForgotPasswordBody,
      response: { 200: MessageResponse, ...errors }
    }
  }, async (request) => {
    const { email, confirmation_code: code, new_password: password } = request.body
    await fastify.cognito.confirmForgotPassword(email, code, password)
    return { success: true as const, message: 'Password reset successfully' }
  })

  fastify.post('/change-password', {
    onRequest: fastify.authenticate,
    schema: {
      tags: ['auth'],
      operationId: 'changePassword',
      summary: 'Change the signed-in user\'s password',
      security: bearer,
      body: ChangePasswordBody,
      response: { 200: MessageResponse, ...errors }
    }
  }, async (request) => {
    const { previous_password: previous, proposed_password: proposed } = request.body
    await fastify.cognito.changePassword(request.user!.accessToken, previous, proposed)
    return { success: true as const, message: 'Password changed successfully' }
  })

  fastify.get('/me', {
    onRequest: fastify.authenticate,
    schema: {
      tags: ['auth'],
      operationId: 'getCurrentUser',
      summary: 'The signed-in user, from the access token and Cognito',
      security: bearer,
      response: { 200: MeResponse, ...errors }
    }
  }, async (request) => {
    const user = request.user!
    const attributes = await fastify.cognito.getUser(user.accessToken)
    return {
      success: true as const,
      user: {
        sub: user.sub,
        username: String(attributes.email),
        email: attributes.email,
        email_verified: attributes.email_verified === 'true',
        given_name: attributes.given_name,
        family_name: attributes.family_name,
        groups: user.groups,
        role: user.role ?? null,
        token_use: user.token_use,
        scope: user.scope,
        auth_time: user.auth_time,
        iat: user.iat,
        exp: user.exp
      }
    }
  })
}

export default auth
