import { assistantBodies } from './assistants.js'
import { ErrorResponse } from './common.js'

/** Schemas registered once with `addSchema` and referenced by `$id` from route schemas (and listed once in OpenAPI). */
export const sharedSchemas = [ErrorResponse, ...assistantBodies]
