import fp from 'fastify-plugin'
import { sharedSchemas } from '../../schemas/shared.js'

/** Registers the shared schemas once, so routes reference them by $id and the OpenAPI document lists them once. */
export default fp(async function sharedSchemasPlugin (fastify) {
  for (const schema of sharedSchemas) fastify.addSchema(schema)
}, { name: 'shared-schemas' })
