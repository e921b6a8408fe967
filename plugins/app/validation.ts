import { AjvCompiler } from '@fastify/ajv-compiler'
import { Type } from '@sinclair/typebox'
import type { FastifyRequest, FastifySchema, FastifySchemaCompiler } from 'fastify'
import fp from 'fastify-plugin'
import { sharedSchemas } from '../../schemas/shared.js'

/** The routes whose input must be wholly understood: everything but Exotel's, which adds fields over time. */
const STRICT = /^\/(api|auth)(\/|$)/

/** A query string or body where a route declares none: nothing is allowed in it. */
const Nothing = Type.Object({}, { additionalProperties: false })

interface ValidationError { keyword: string, instancePath: string, message?: string, params: Record<string, unknown> }

const externals = Object.fromEntries(sharedSchemas.map((schema) => [schema.$id, schema]))

/**
 * One Ajv a process: Ajv keeps what it compiled by schema, so a process that builds the app again (the tests build
 * hundreds) compiles each route's schemas once rather than once an app.
 */
const compile = AjvCompiler()(externals, {
  // strictNumbers off: with it (Ajv's default), "Infinity" in a query string is coerced to Infinity and then
  // skips maximum (Ajv 8 checks bounds only of finite numbers). Every number we take has a maximum instead
  // (test/app/hostile-input.test.ts checks), which Infinity fails.
  customOptions: { removeAdditional: false, strictNumbers: false, discriminator: true },
  onCreate: (ajv: { addFormat (name: string, format: { type: 'string', validate: (value: string) => boolean }): void }) =>
    ajv.addFormat('date-time', { type: 'string', validate: isDateTime })
}) as FastifySchemaCompiler<unknown>

/**
 * Input that is not understood is refused, never dropped. Fastify's Ajv removes properties a schema does not know
 * (`removeAdditional`), so a typo (`{"filter": {"serch": ...}}`) silently widened a campaign; here an unknown
 * property is a 400 that names it and where it was. Routes under /api and /auth that declare no query string
 * accept none, and those that declare no body refuse one. Errors read `body.filter has no property 'serch'`.
 */
export default fp(async function validation (fastify) {
  fastify.setValidatorCompiler(compile)
  fastify.setSchemaErrorFormatter((errors, part) => new Error(oneOfValues(errors as ValidationError[]).map((error) => describe(error, part)).join(', ')))

  // PostgreSQL's text cannot hold NUL, and no name, number or reason has one: refused wherever it arrives,
  // on every route (Exotel's too), before validation and long before a query.
  fastify.addHook('preValidation', async (request) => {
    const where = nulIn(request.params, 'params') ?? nulIn(request.query, 'query') ?? nulIn(request.body, 'body')
    if (where) throw Object.assign(new Error(`${where} holds a NUL character`), { statusCode: 400 })
  })

  fastify.addHook('onRoute', (route) => {
    // A multipart body (an uploaded file, Exotel's form posts) is read by its handler as it streams, not parsed
    // into a body: its schema documents it, and the handler refuses what it cannot use.
    if (route.schema?.consumes?.includes('multipart/form-data')) {
      route.validatorCompiler = (options) => options.httpPart === 'body' ? () => true : compile(options)
    }
    if (!STRICT.test(route.url) || route.websocket) return
    const schema: FastifySchema = route.schema ??= {}
    schema.querystring ??= Nothing
    if (!schema.body && route.method !== 'GET' && route.method !== 'HEAD') {
      route.preValidation = [refuseBody, ...[route.preValidation ?? []].flat()]
    }
  })
}, { name: 'validation' })

async function refuseBody (request: FastifyRequest) {
  const body = request.body
  if (body === undefined || body === null || (typeof body === 'object' && Object.keys(body).length === 0)) return
  const first = typeof body === 'object' && !Array.isArray(body) ? Object.keys(body)[0] : undefined
  throw Object.assign(new Error(first ? `body has no property '${first}'` : 'This route takes no body'), { statusCode: 400 })
}

/** Where in `value` (a path as error messages write it) the first string holding NUL is, if one does. */
function nulIn (value: unknown, where: string): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? where : undefined
  if (typeof value !== 'object' || value === null) return undefined
  for (const [key, item] of Object.entries(value)) {
    const found = nulIn(item, Array.isArray(value) ? `${where}[${key}]` : `${where}.${key}`)
    if (found) return found
  }
  return undefined
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/

/**
 * A date-time as RFC 3339 writes it, that JavaScript and PostgreSQL read alike: none of year 0000, a leap second
 * (23:59:60, which JavaScript cannot hold) or a year no call of ours is ever made in: between 2000 and 2100.
 */
function isDateTime (value: string): boolean {
  if (!RFC3339.test(value)) return false
  const time = Date.parse(value)
  return time >= Date.UTC(2000, 0, 1) && time < Date.UTC(2100, 0, 1)
}

/**
 * A value that is none of a union of constants (a language, a status) fails each constant, then the union: said
 * once, with the values it may be.
 */
function oneOfValues (errors: ValidationError[]): ValidationError[] {
  const unions = new Set(errors.filter((error) => error.keyword === 'anyOf').map((error) => error.instancePath))
  const allowed = new Map<string, unknown[]>()
  for (const error of errors) {
    if (error.keyword === 'const' && unions.has(error.instancePath)) {
      allowed.set(error.instancePath, [...allowed.get(error.instancePath) ?? [], error.params.allowedValue])
    }
  }
  return errors.flatMap((error) => {
    const values = allowed.get(error.instancePath)
    if (!values) return [error]
    if (error.keyword === 'const') return []
    return [{ ...error, message: `must be one of ${values.join(', ')}` }]
  })
}

/** One validation error in words: where (`body.filter`, `query`), then what. */
function describe (error: ValidationError, part: string): string {
  const where = (part === 'querystring' ? 'query' : part) + error.instancePath.split('/').slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => /^\d+$/.test(segment) ? `[${segment}]` : `.${segment}`)
    .join('')
  if (error.keyword === 'additionalProperties') return `${where} has no property '${String(error.params.additionalProperty)}'`
  if (error.keyword === 'discriminator') {
    // A body whose `kind` picks its shape: missing, or none of the kinds.
    const tag = String(error.params.tag)
    return error.params.error === 'mapping'
      ? `${where}.${tag} '${String(error.params.tagValue)}' is not one of the kinds this takes`
      : `${where} must have a ${tag} (a string)`
  }
  if (error.keyword === 'format' && error.params.format === 'date-time') {
    return `${where} must be a date-time between 2000 and 2100, such as 2026-12-01T09:30:00+05:30`
  }
  return `${where} ${error.message}`
}
