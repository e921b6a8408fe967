import { Type, type Static } from '@sinclair/typebox'

/** The one error envelope every route answers with, from the seed's contract. */
export const ErrorResponse = Type.Object({
  success: Type.Literal(false),
  message: Type.String({ description: 'What went wrong, for a person to read' })
}, { $id: 'ErrorResponse', description: 'Every error, whatever its status' })

export type ErrorResponse = Static<typeof ErrorResponse>

/** Schemas registered once with `addSchema` and referenced by `$id` from route schemas. */
export const sharedSchemas = [ErrorResponse]

/** A reference to the shared error envelope, for a route's `response` map. */
export const ErrorRef = Type.Ref(ErrorResponse)
