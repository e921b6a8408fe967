import { STATUS_CODES } from 'node:http'
import path from 'node:path'
import type { Duplex } from 'node:stream'
import autoload from '@fastify/autoload'
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify'
import { redactPhones } from './lib/server/log-options.js'
import type { AssistantsPluginOptions } from './plugins/app/assistants.js'
import type { CognitoPluginOptions } from './plugins/app/cognito.js'
import type { DbPluginOptions } from './plugins/app/db.js'
import type { DispatcherPluginOptions } from './plugins/app/dispatcher.js'
import type { EnvPluginOptions } from './plugins/external/env.js'

export type AppOptions = EnvPluginOptions & DbPluginOptions & DispatcherPluginOptions & CognitoPluginOptions & AssistantsPluginOptions

/** Node's refusals of a request it could not read, by their code; any other is a 400. */
const CLIENT_ERRORS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, "The request's headers are too large (at most 16 KB together, the URL included)"],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'The request took too long to arrive']
}

/** An answer in the error envelope (`{success: false, message}`), for the layers that write to the socket themselves. */
const envelope = (message: string) => JSON.stringify({ success: false, message })

type BuildSerializer = ReturnType<typeof SerializerSelector>
type ResponseSerializer = ReturnType<ReturnType<BuildSerializer>>

/**
 * Fastify's own response serializers (fast-json-stringify), each kept by its schema for the process's life: a
 * process that builds the app again (the tests build hundreds) compiles each response schema once, not once an
 * app (about half of what building an app costs). Kept apart for each set of shared schemas a schema may name.
 */
const serializers = new Map<string, WeakMap<object, ResponseSerializer>>()
const defaultSerializers = SerializerSelector()
const serializersOnce: BuildSerializer = (externalSchemas, options) => {
  const compile = defaultSerializers(externalSchemas, options)
  const key = JSON.stringify([externalSchemas, options])
  let compiled = serializers.get(key)
  if (!compiled) serializers.set(key, compiled = new WeakMap())
  return (route) => {
    const schema = route.schema as object
    let serialize = compiled.get(schema)
    if (!serialize) compiled.set(schema, serialize = compile(route))
    return serialize
  }
}

/**
 * Server options every instance of the app is built with (server.ts, the tests, the OpenAPI script): the answers
 * of the layers under the routes, in the envelope too. Node's HTTP parser refuses headers over 16 KB (a 70 KB
 * query string, a huge token) and requests it cannot read; Fastify's router refuses a URL it cannot decode.
 */
export const options = {
  clientErrorHandler (error: Error & { code?: string }, socket: Duplex) {
    if (error.code === 'ECONNRESET' || !socket.writable) return
    const [status, message] = CLIENT_ERRORS[error.code!] ?? [400, `The request could not be read as HTTP (${error.code!})`]
    const body = envelope(message)
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
  },
  schemaController: { compilersFactory: { buildSerializer: serializersOnce } },
  frameworkErrors (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) {
    const detail = error.message.length > 200 ? `${error.message.slice(0, 200)}...` : error.message
    return reply.code(400).send({ success: false, message: `The URL could not be read: ${detail}` })
  }
} satisfies FastifyServerOptions

/**
 * The application as one plugin: third-party plugins, then our own decorators, then the routes. Tests register
 * it on a Fastify instance of their own and call `inject`; server.ts registers it and listens.
 */
export default async function app (fastify: FastifyInstance, opts: AppOptions) {
  // Set before the routes register: a route keeps the error handler in force when it was added.
  // Every error answers in the envelope the API's clients read. A 5xx says nothing of its cause: that goes to the log only.
  fastify.setErrorHandler((error: FastifyError & { expose?: boolean }, request, reply) => {
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600
      ? error.statusCode
      : 500
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed')
    } else {
      request.log.info({ status, reason: redactPhones(error.message) }, 'request refused')
    }
    const message = status < 500 || error.expose === true ? error.message : 'Internal Server Error'
    return reply.code(status).send({ success: false, message })
  })

  fastify.setNotFoundHandler((request, reply) => {
    const route = request.url.split('?', 1)[0]!
    const shown = route.length > 100 ? `${route.slice(0, 100)}...` : route
    return reply.code(404).send({ success: false, message: `Route ${request.method} ${shown} not found` })
  })

  // Closing: answers to the requests still running end their connections, so that the close waits for nothing
  // (an idle keep-alive connection would hold it until its timeout).
  let closing = false
  fastify.addHook('preClose', async () => { closing = true })
  // The last net: an error answer a plugin wrote in its own words (CORS refusing a preflight as text/plain) is
  // put in the envelope, its words as the message.
  fastify.addHook('onSend', async (_request, reply, payload) => {
    if (closing) reply.header('connection', 'close')
    if (reply.statusCode < 400 || typeof payload !== 'string' || payload.startsWith('{"success":false,')) return payload
    reply.type('application/json; charset=utf-8')
    return envelope(payload)
  })

  fastify.register(autoload, { dir: path.join(import.meta.dirname, 'plugins/external'), options: opts })
  fastify.register(autoload, { dir: path.join(import.meta.dirname, 'plugins/app'), options: opts })
  fastify.register(autoload, {
    dir: path.join(import.meta.dirname, 'routes'),
    autoHooks: true,
    cascadeHooks: true,
    options: opts
  })
}
