import { createHmac } from 'node:crypto'
import {
  ChangePasswordCommand,
  ConfirmForgotPasswordCommand,
  ForgotPasswordCommand,
  ResendConfirmationCodeCommand,
  type AuthenticationResultType,
  type CognitoIdentityProviderClient,
  ConfirmSignUpCommand,
  GetUserCommand,
  GlobalSignOutCommand,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  RevokeTokenCommand,
  SignUpCommand
} from '@aws-sdk/client-cognito-identity-provider'

/** An error to show the caller as it is, with the HTTP status it maps to. */
export class AuthError extends Error {
  readonly expose = true
  constructor (readonly statusCode: number, message: string) {
    super(message)
    this.name = 'AuthError'
  }
}

/** Sign-in with a temporary password (an invitation's): the person must choose their own before any token is given. */
export class NewPasswordRequired extends AuthError {
  constructor () {
    super(403, 'This account has a temporary password: sign in again with it and a new password of your own (new_password)')
    this.name = 'NewPasswordRequired'
  }
}

/** The claims of a verified Cognito access token that the server uses. */
export interface AccessClaims {
  sub: string
  /** A person's; a program's token (client credentials) has none. */
  username?: string
  client_id: string
  token_use: 'access'
  scope?: string
  auth_time: number
  iat: number
  exp: number
  jti?: string
  'cognito:groups'?: string[]
}

export interface Tokens {
  accessToken: string
  idToken: string
  refreshToken?: string
  expiresIn: number
}

export interface CognitoAuthOptions {
  client: CognitoIdentityProviderClient
  clientId: string
  clientSecret?: string
  /** Verifies an access token's signature, issuer, expiry, use and client; throws when any is wrong. */
  verifyAccessToken: (token: string) => Promise<AccessClaims>
  /** Where confirmation and reset codes go: email (Cognito), or the server's log (the local emulator sends none). */
  codesSentTo?: 'email' | 'server-log'
}

// Cognito exception names, and what the caller is told of each.
const FAILURES: Record<string, [number, string]> = {
  UsernameExistsException: [400, 'An account with this email already exists'],
  InvalidPasswordException: [400, 'Password does not meet the requirements'],
  InvalidParameterException: [400, 'Invalid input'],
  CodeMismatchException: [400, 'Invalid confirmation code'],
  ExpiredCodeException: [400, 'Confirmation code has expired; request a new one'],
  UserNotConfirmedException: [403, 'User is not confirmed; confirm the account with the emailed code'],
  NotAuthorizedException: [401, 'Invalid email or password'],
  UserNotFoundException: [404, 'User not found'],
  TooManyRequestsException: [429, 'Too many requests; try again later'],
  LimitExceededException: [429, 'Too many attempts; try again later'],
  TooManyFailedAttemptsException: [429, 'Too many failed attempts; try again later']
}

/** Maps an error from the Cognito SDK to an AuthError (`overrides`: statuses that differ for one call); an error
 * it does not know is thrown as it is, to become a 500. */
export function toAuthError (error: unknown, overrides: Record<string, [number, string]> = {}): AuthError {
  const name = (error as { name?: string }).name ?? ''
  const known = overrides[name] ?? FAILURES[name]
  if (known) return new AuthError(known[0], known[1])
  const code = (error as { code?: string }).code ?? ''
  if (['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET'].includes(code) || name === 'TimeoutError') {
    return new AuthError(503, 'Authentication service unavailable')
  }
  // An answer the SDK could not read (an HTML error page from a proxy, or from the emulator): the upstream's fault.
  if (name === 'SyntaxError' && '$metadata' in (error as object)) {
    return new AuthError(502, 'The authentication service gave an answer that could not be read')
  }
  throw error
}

// Login must not tell whether an email is registered: every credential failure reads the same.
const LOGIN: Record<string, [number, string]> = {
  UserNotFoundException: [401, 'Invalid email or password'],
  InvalidPasswordException: [401, 'Invalid email or password'] // the emulator's answer to a wrong password
}

// Failures that would tell a caller whether an email is registered (or already confirmed).
const QUIET = new Set(['UserNotFoundException', 'InvalidParameterException'])

/** The sign-up, sign-in and token operations of one Cognito user pool and app client. */
export class CognitoAuth {
  readonly verifyAccessToken: (token: string) => Promise<AccessClaims>
  private readonly client: CognitoIdentityProviderClient
  private readonly clientId: string
  private readonly clientSecret?: string

  readonly codesSentTo: 'email' | 'server-log'

  constructor (options: CognitoAuthOptions) {
    this.client = options.client
    this.clientId = options.clientId
    this.clientSecret = options.clientSecret
    this.verifyAccessToken = options.verifyAccessToken
    this.codesSentTo = options.codesSentTo ?? 'email'
  }

  /** SECRET_HASH, which a confidential app client requires with every call that names a user. */
  secretHash (username: string): string | undefined {
    if (!this.clientSecret) return undefined
    return createHmac('sha256', this.clientSecret).update(username + this.clientId).digest('base64')
  }

  private async call<T> (request: () => Promise<T>, overrides?: Record<string, [number, string]>): Promise<T> {
    try {
      return await request()
    } catch (error) {
      throw toAuthError(error, overrides)
    }
  }

  /** Runs a call whose failure for an unknown (or already confirmed) user must look like success. */
  private async quietAboutUsers (request: () => Promise<unknown>): Promise<void> {
    try {
      await request()
    } catch (error) {
      if (!QUIET.has(String((error as { name?: string }).name))) throw toAuthError(error)
    }
  }

  async signUp (input: { email: string, password: string, firstName?: string, lastName?: string }) {
    const attributes = [
      { Name: 'email', Value: input.email },
      ...(input.firstName ? [{ Name: 'given_name', Value: input.firstName }] : []),
      ...(input.lastName ? [{ Name: 'family_name', Value: input.lastName }] : [])
    ]
    const result = await this.call(() => this.client.send(new SignUpCommand({
      ClientId: this.clientId,
      SecretHash: this.secretHash(input.email),
      Username: input.email,
      Password: input.password,
      UserAttributes: attributes
    })))
    return { userSub: result.UserSub!, confirmed: result.UserConfirmed === true }
  }

  async confirmSignUp (email: string, code: string): Promise<void> {
    await this.call(() => this.client.send(new ConfirmSignUpCommand({
      ClientId: this.clientId, SecretHash: this.secretHash(email), Username: email, ConfirmationCode: code
    })))
  }

  /**
   * Signs in. An invited person's first sign-in (Cognito's NEW_PASSWORD_REQUIRED challenge) needs `newPassword`
   * too, and sets it; without it, NewPasswordRequired.
   */
  async login (email: string, password: string, newPassword?: string): Promise<Tokens> {
    const result = await this.call(() => this.client.send(new InitiateAuthCommand({
      ClientId: this.clientId,
      AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: email, PASSWORD: password, ...secretParam(this.secretHash(email)) }
    })), LOGIN)
    if (result.ChallengeName !== 'NEW_PASSWORD_REQUIRED') return tokensFrom(result.AuthenticationResult)
    if (!newPassword) throw new NewPasswordRequired()
    const answered = await this.call(() => this.client.send(new RespondToAuthChallengeCommand({
      ClientId: this.clientId,
      ChallengeName: 'NEW_PASSWORD_REQUIRED',
      Session: result.Session,
      ChallengeResponses: { USERNAME: email, NEW_PASSWORD: newPassword, ...secretParam(this.secretHash(email)) }
    })))
    return tokensFrom(answered.AuthenticationResult)
  }

  /** A new access and id token. A confidential client must name the user (the token's `username`). */
  async refresh (refreshToken: string, username?: string): Promise<Tokens> {
    const hash = username ? this.secretHash(username) : undefined
    const result = await this.call(() => this.client.send(new InitiateAuthCommand({
      ClientId: this.clientId,
      AuthFlow: 'REFRESH_TOKEN_AUTH',
      AuthParameters: { REFRESH_TOKEN: refreshToken, ...secretParam(hash) }
    })), { NotAuthorizedException: [401, 'Invalid or expired refresh token'] })
    return tokensFrom(result.AuthenticationResult)
  }

  /** Sends a new confirmation code. Says nothing of whether the email is registered. */
  async resendConfirmation (email: string): Promise<void> {
    await this.quietAboutUsers(() => this.client.send(new ResendConfirmationCodeCommand({
      ClientId: this.clientId, SecretHash: this.secretHash(email), Username: email
    })))
  }

  /** Sends a password reset code. Says nothing of whether the email is registered. */
  async forgotPassword (email: string): Promise<void> {
    await this.quietAboutUsers(() => this.client.send(new ForgotPasswordCommand({
      ClientId: this.clientId, SecretHash: this.secretHash(email), Username: email
    })))
  }

  async confirmForgotPassword (email: string, code: string, newPassword: string): Promise<void> {
    await this.call(() => this.client.send(new ConfirmForgotPasswordCommand({
      ClientId: this.clientId,
      SecretHash: this.secretHash(email),
      Username: email,
      ConfirmationCode: code,
      Password: newPassword
    })), { UserNotFoundException: [400, 'Invalid confirmation code'] })
  }

  async changePassword (accessToken: string, previousPassword: string, proposedPassword: string): Promise<void> {
    await this.call(() => this.client.send(new ChangePasswordCommand({
      AccessToken: accessToken, PreviousPassword: previousPassword, ProposedPassword: proposedPassword
    })), {
      NotAuthorizedException: [400, 'Current password is incorrect'],
      InvalidPasswordException: [400, 'Current password is incorrect'] // the emulator's answer to a wrong one
    })
  }

  async getUser (accessToken: string): Promise<Record<string, string>> {
    const result = await this.call(() => this.client.send(new GetUserCommand({ AccessToken: accessToken })),
      { NotAuthorizedException: [401, 'Invalid or expired token'] })
    return Object.fromEntries(result.UserAttributes!.map((a) => [a.Name!, a.Value!]))
  }

  /**
   * Signs the user out everywhere in Cognito, then revokes the refresh token given. Each step is tried whatever the
   * other did; answers what failed, in words (nothing when all went well).
   */
  async logout (accessToken: string, refreshToken?: string): Promise<string[]> {
    const failed: string[] = []
    await this.call(() => this.client.send(new GlobalSignOutCommand({ AccessToken: accessToken })))
      .catch((error: Error) => { failed.push(`Cognito did not sign out the user's other sessions (${error.message})`) })
    if (refreshToken) {
      await this.call(() => this.client.send(new RevokeTokenCommand({
        ClientId: this.clientId, ClientSecret: this.clientSecret, Token: refreshToken
      })), { NotAuthorizedException: [400, 'it is not a valid refresh token of this app'] })
        .catch((error: Error) => { failed.push(`the refresh token given was not revoked: ${error.message}`) })
    }
    return failed
  }
}

function secretParam (hash: string | undefined): Record<string, string> {
  return hash ? { SECRET_HASH: hash } : {}
}

function tokensFrom (result: AuthenticationResultType | undefined): Tokens {
  // No tokens means Cognito asked for a challenge (a new password, MFA) that this API does not handle.
  if (!result?.AccessToken || !result.IdToken) {
    throw new AuthError(401, 'Sign-in needs a step this API does not support (e.g. a new password)')
  }
  return {
    accessToken: result.AccessToken,
    idToken: result.IdToken,
    refreshToken: result.RefreshToken,
    expiresIn: result.ExpiresIn ?? 3600
  }
}

/** The payload of a JWT, without verifying it: only for tokens Cognito itself just handed us. */
export function decodeJwtPayload (token: string): Record<string, unknown> {
  const payload = token.split('.')[1] ?? ''
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
  } catch {
    return {}
  }
}
