import { readFileSync } from 'node:fs'
import path from 'node:path'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import fp from 'fastify-plugin'
import { projectRoot } from '../../lib/server/project-root.js'
import { ROLE_WORDS, type Role } from '../../lib/auth/roles.js'

const { version, description, license } = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8'))

type Operation = {
  'x-role'?: Role
  parameters?: Array<{ in: string, required?: boolean, schema?: { default?: unknown } }>
  responses?: Record<string, unknown>
  callbacks?: Record<string, Record<string, Record<string, Callback>>>
}
type Callback = {
  summary?: string
  security?: unknown[]
  requestBody?: { content?: Record<string, { schema?: { description?: string } }> }
}

/**
 * The OpenAPI 3 document, generated from the routes' TypeBox schemas, at /docs/json (`npm run openapi` writes it
 * to a file); Swagger UI at /docs. Protected routes name the `bearerAuth` scheme (a Cognito access token), Exotel's
 * the `exotelToken` scheme (the webhook token in the query), public ones none. Checked in the tests by Redocly's
 * linter and by compiling a client generated from it.
 */
export default fp(async function openapi (fastify) {
  const { PUBLIC_BASE_URL, PORT } = fastify.config
  await fastify.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'voice-call-manager', description, version, license: { name: license } },
      servers: [{
        url: PUBLIC_BASE_URL ?? `http://localhost:${PORT}`,
        description: PUBLIC_BASE_URL ? 'PUBLIC_BASE_URL' : 'This server on its default address (PUBLIC_BASE_URL is not set)'
      }],
      tags: [
        { name: 'auth', description: 'Sign-up, sign-in and tokens (Amazon Cognito)' },
        { name: 'api', description: 'Customers and calls, for operators and programs (bearer token)' },
        { name: 'campaigns', description: 'Campaigns: drafts, previews, start with the fingerprint, pause, resume, cancel, results (bearer token)' },
        { name: 'users', description: 'The people who may sign in and their roles (administrators)' },
        { name: 'webhooks', description: 'Signed deliveries of events to the customer\'s systems (administrators)' },
        { name: 'telephony', description: 'Endpoints Exotel calls during a call (webhook token in the query)' },
        { name: 'operations', description: 'Liveness and readiness' }
      ],
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: 'The access_token answered by POST /auth/login'
          },
          metricsToken: {
            type: 'http',
            scheme: 'bearer',
            description: 'METRICS_TOKEN, for GET /metrics'
          },
          exotelToken: {
            type: 'apiKey',
            in: 'query',
            name: 'token',
            description: 'The webhook token (EXOTEL_WEBHOOK_TOKEN), carried by every URL given to Exotel: Exotel signs nothing'
          }
        }
      }
    },
    // Shared schemas keep their $id as their component name, so references read `#/components/schemas/ErrorResponse`.
    refResolver: {
      buildLocalReference: (json) => String(json.$id)
    },
    // Each route's role (its `config.role`) is shown as `x-role` and in its description.
    transform: ({ schema, url, route }) => {
      const role = route.config?.role
      if (!role || !schema) return { schema, url }
      const says = `Needs the **${role}** role or above (${role}: ${ROLE_WORDS[role]}).`
      return {
        schema: { ...schema, 'x-role': role, description: schema.description ? `${schema.description}\n\n${says}` : says } as never,
        url
      }
    },
    transformObject: (documents) => {
      const { openapiObject } = documents as { openapiObject: { paths?: Record<string, unknown> } }
      for (const operations of Object.values(openapiObject.paths!)) {
        for (const operation of Object.values(operations as Record<string, Operation>)) {
          // A parameter with a default may be left out, whatever the schema's `required` said to fill it in.
          for (const parameter of operation.parameters ?? []) {
            if (parameter.in === 'query' && parameter.schema?.default !== undefined) parameter.required = false
          }
          operation.responses ??= {}
          // Webhook deliveries (the callbacks of POST /api/webhooks) are signed, not authenticated: summed up by event.
          for (const [event, urls] of Object.entries(operation.callbacks ?? {})) {
            for (const callback of Object.values(urls).flatMap((methods) => Object.values(methods))) {
              callback.summary = `${event}: ${callback.requestBody!.content!['application/json']!.schema!.description!}`
              callback.security = []
            }
          }
          // A route with a role refuses the others.
          if (operation['x-role']) {
            operation.responses['403'] ??= {
              description: 'The user\'s role does not allow this',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } }
            }
          }
          // Any route may fail; the error handler answers every 5xx in the envelope.
          operation.responses ??= {}
          operation.responses['500'] ??= {
            description: 'The server failed; the cause is in its log, not in the answer',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } }
          }
        }
      }
      return openapiObject as never
    }
  })
  await fastify.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { validatorUrl: null },
    // Its own Content-Security-Policy (with the hashes of its inline parts), in place of the pages' stricter one.
    staticCSP: true
  })
}, { name: 'openapi', dependencies: ['env'] })
