// Query parameters whose values must not reach the log: credentials, and the phone numbers Exotel sends.
const SENSITIVE_PARAM = /token|secret|password|passwd|key|sig|auth|code|phone|mobile|number|^(from|to|callfrom|callto)$/i

/** The URL with the values of sensitive query parameters replaced, for logging. */
export function redactUrl (url: string): string {
  const queryAt = url.indexOf('?')
  if (queryAt === -1) return url
  const params = url.slice(queryAt + 1).split('&').map((pair) => {
    const name = pair.split('=', 1)[0]!
    return SENSITIVE_PARAM.test(decodeURIComponentSafe(name)) ? `${name}=[redacted]` : pair
  })
  return `${url.slice(0, queryAt)}?${params.join('&')}`
}

function decodeURIComponentSafe (text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

// Field names that hold secrets or phone numbers wherever they appear in a logged object (two levels deep).
const SENSITIVE_FIELDS = [
  'password', 'new_password', 'previous_password', 'proposed_password', 'confirmation_code',
  'access_token', 'refresh_token', 'id_token', 'token', 'secret', 'client_secret', 'authorization',
  'phone', 'phone_number', 'mobile', 'From', 'To', 'CallFrom', 'CallTo', 'DialWhomNumber'
]

/** pino options shared by the server and the tests that check what reaches the log. */
export function logOptions (level = 'info') {
  return {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["x-api-key"]',
        ...SENSITIVE_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`])
      ],
      censor: '[redacted]'
    },
    serializers: {
      req (request: { method: string, url: string, host?: string, ip?: string }) {
        return { method: request.method, url: redactUrl(request.url), host: request.host, remoteAddress: request.ip }
      }
    }
  }
}
