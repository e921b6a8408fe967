import { Type, type Static, type TSchema } from '@sinclair/typebox'

/** The one error envelope every route answers with: the API's contract, which its clients read. */
export const ErrorResponse = Type.Object({
  success: Type.Literal(false),
  message: Type.String({ description: 'What went wrong, for a person to read' })
}, { $id: 'ErrorResponse', description: 'Every error, whatever its status' })

export type ErrorResponse = Static<typeof ErrorResponse>

/** A reference to the shared error envelope, for a route's `response` map. */
export const ErrorRef = Type.Ref(ErrorResponse)

/** A value or null. */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

/** A moment, as ISO 8601 text. Handlers may answer a Date: the serializer writes it as such text. */
export const Timestamp = Type.Unsafe<Date | string>({ type: 'string', format: 'date-time' })

/** The Idempotency-Key header of the routes that start calls (plugins/app/idempotency.ts). */
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({
    minLength: 1,
    maxLength: 255,
    description: 'Any unique string (a UUID): a repeat with the same key and body within 24 hours gets the first ' +
      'answer again, with the header `Idempotent-Replayed: true`, and dials nobody; the same key with another body ' +
      'gets 409'
  }))
})

/** What came of a customer's latest call that recorded an outcome. */
export const LastOutcome = Type.Optional(Type.String({
  pattern: '^[a-z0-9_-]{1,40}$',
  maxLength: 40,
  description: "The outcome of the customer's latest call that recorded one (confirmed, callback, ...); none: never one"
}))
