/**
 * The browser client of voice-call-manager: VoiceAssistantAuth, with the name and methods of the first client
 * (pages written for it keep working), as an ES module any frontend can import
 * (`import { VoiceAssistantAuth } from '/vcm-auth.js'`). Tokens are kept in localStorage, where that client kept them; a request that gets 401 refreshes the access token and is retried once.
 */
export class VoiceAssistantAuth {
  constructor (baseUrl = '', storage = globalThis.localStorage) {
    this.baseUrl = baseUrl
    this.storage = storage
    this.token = storage.getItem('access_token')
  }

  get signedIn () {
    return Boolean(this.token)
  }

  async #post (path, body) {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body)
    })
    return await response.json()
  }

  signup (email, password, firstName, lastName) {
    return this.#post('/auth/signup', { email, password, first_name: firstName, last_name: lastName })
  }

  confirmSignup (email, confirmationCode) {
    return this.#post('/auth/confirm-signup', { email, confirmation_code: confirmationCode })
  }

  resendConfirmation (email) {
    return this.#post('/auth/resend-confirmation', { email })
  }

  forgotPassword (email) {
    return this.#post('/auth/forgot-password', { email })
  }

  confirmForgotPassword (email, confirmationCode, newPassword) {
    return this.#post('/auth/confirm-forgot-password', { email, confirmation_code: confirmationCode, new_password: newPassword })
  }

  /** `newPassword`: an invited person's first sign-in, which replaces their temporary password. */
  async login (email, password, newPassword) {
    const data = await this.#post('/auth/login', newPassword ? { email, password, new_password: newPassword } : { email, password })
    if (data.success) {
      this.storage.setItem('access_token', data.access_token)
      this.storage.setItem('refresh_token', data.refresh_token)
      this.token = data.access_token
    }
    return data
  }

  async refreshToken () {
    const refreshToken = this.storage.getItem('refresh_token')
    if (!refreshToken) throw new Error('No refresh token available')
    const data = await this.#post('/auth/refresh', { refresh_token: refreshToken })
    if (data.success) {
      this.storage.setItem('access_token', data.access_token)
      this.token = data.access_token
    }
    return data
  }

  /** fetch with the bearer token; JSON bodies get their content type, FormData is sent as it is. */
  async makeAuthenticatedRequest (url, options = {}) {
    const send = () => fetch(`${this.baseUrl}${url}`, {
      ...options,
      headers: {
        Authorization: `Bearer ${this.token}`,
        ...(options.body && !(options.body instanceof FormData) ? { 'Content-Type': 'application/json' } : {}),
        ...options.headers
      }
    })
    const response = await send()
    if (response.status !== 401 || !this.storage.getItem('refresh_token')) return response
    const refreshed = await this.refreshToken()
    return refreshed.success ? await send() : response
  }

  /**
   * An authenticated request's JSON answer when it succeeded; otherwise an Error with the server's message and
   * the HTTP `status` (401: the session has ended and could not be refreshed).
   */
  async request (url, options = {}) {
    const response = await this.makeAuthenticatedRequest(url, options)
    const body = await response.json().catch(() => ({ success: false, message: `${response.status} ${response.statusText}` }))
    if (response.status !== 401 && body.success) return body
    const error = new Error(response.status === 401 ? 'Your session has ended: please log in again' : body.message)
    error.status = response.status
    throw error
  }

  async logout () {
    if (this.token) {
      await fetch(`${this.baseUrl}/auth/logout`, { method: 'POST', headers: { Authorization: `Bearer ${this.token}` } })
    }
    this.storage.removeItem('access_token')
    this.storage.removeItem('refresh_token')
    this.token = null
  }
}
