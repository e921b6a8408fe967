import pino from 'pino'

// Query parameters whose values must not reach the log: credentials, the phone numbers Exotel sends, and searches
// (an operator searches customers by phone number).
const SENSITIVE_PARAM = /token|secret|password|passwd|key|sig|auth|code|phone|mobile|number|search|^(from|to|callfrom|callto|q)$/i

/** Runs of 8 or more digits (spaces, dashes, brackets and a + allowed between): phone numbers, wherever they are. */
const PHONE_LIKE = /\+?\d(?:[\s().-]*\d){7,}/g

/** The text with anything that looks like a phone number replaced, for logging. */
export function redactPhones (text: string): string {
  return text.replace(PHONE_LIKE, '[phone]')
}

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
      },
      // An error's words may quote data: PostgreSQL's detail ("Key (phone)=(+91...) already exists"), a file's
      // cells. Phone numbers are taken out, and what is quoted is cut to 1,000 characters.
      err (error: Error) {
        const serialized = pino.stdSerializers.err(error)
        for (const field of ['message', 'stack', 'detail', 'where', 'hint']) {
          const value = serialized[field]
          if (typeof value === 'string') serialized[field] = redactPhones(value.length > 1000 ? `${value.slice(0, 1000)}...` : value)
        }
        return serialized
      }
    }
  }
}
