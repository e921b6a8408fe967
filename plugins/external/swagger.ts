import { readFileSync } from 'node:fs'
import path from 'node:path'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import fp from 'fastify-plugin'
import { projectRoot } from '../../lib/project-root.js'

const { version, description } = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8'))

/**
 * The OpenAPI 3 document, generated from the routes' TypeBox schemas, at /docs/json; Swagger UI at /docs.
 * Protected routes name the `bearerAuth` scheme: a Cognito access token.
 */
export default fp(async function openapi (fastify) {
  await fastify.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'voice-call-manager', description, version },
      tags: [
        { name: 'auth', description: 'Sign-up, sign-in and tokens (Amazon Cognito)' },
        { name: 'api', description: 'Customers and calls, for operators and programs (bearer token)' },
        { name: 'telephony', description: 'Endpoints Exotel calls during a call' },
        { name: 'operations', description: 'Liveness and readiness' }
      ],
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: 'The access_token answered by POST /auth/login'
          }
        }
      }
    },
    // Shared schemas keep their $id as their component name, so references read `#/components/schemas/ErrorResponse`.
    refResolver: {
      buildLocalReference: (json) => String(json.$id)
    }
  })
  await fastify.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { validatorUrl: null }
  })
}, { name: 'openapi' })
