import { AjvCompiler } from '@fastify/ajv-compiler'
import { Type } from '@sinclair/typebox'
import type { FastifyRequest, FastifySchema, FastifySchemaCompiler } from 'fastify'
import fp from 'fastify-plugin'
import { sharedSchemas } from '../../schemas/common.js'

/** The routes whose input must be wholly understood: everything but Exotel's, which adds fields over time. */
const STRICT = /^\/(api|auth)(\/|$)/

/** A query string or body where a route declares none: nothing is allowed in it. */
const Nothing = Type.Object({}, { additionalProperties: false })

interface ValidationError { keyword: string, instancePath: string, message?: string, params: Record<string, unknown> }

/**
 * Input that is not understood is refused, never dropped. Fastify's Ajv removes properties a schema does not know
 * (`removeAdditional`), so a typo (`{"filter": {"serch": ...}}`) silently widened a campaign; here an unknown
 * property is a 400 that names it and where it was. Routes under /api and /auth that declare no query string
 * accept none, and those that declare no body refuse one. Errors read `body.filter has no property 'serch'`.
 */
export default fp(async function validation (fastify) {
  const externals = Object.fromEntries(sharedSchemas.map((schema) => [schema.$id, schema]))
  const compile = AjvCompiler()(externals, { customOptions: { removeAdditional: false } }) as FastifySchemaCompiler<unknown>
  fastify.setValidatorCompiler(compile)
  fastify.setSchemaErrorFormatter((errors, part) => new Error(errors.map((error) => describe(error, part)).join(', ')))

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

/** One validation error in words: where (`body.filter`, `query`), then what. */
function describe (error: ValidationError, part: string): string {
  const where = (part === 'querystring' ? 'query' : part) + error.instancePath.split('/').slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => /^\d+$/.test(segment) ? `[${segment}]` : `.${segment}`)
    .join('')
  if (error.keyword === 'additionalProperties') return `${where} has no property '${String(error.params.additionalProperty)}'`
  return `${where} ${error.message}`
}
