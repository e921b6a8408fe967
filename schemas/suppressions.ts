import { Type } from '@sinclair/typebox'
import { Nullable, Timestamp } from './common.js'
import { RejectedRow } from './customers.js'

export const Suppression = Type.Object({
  phone: Type.String({ description: 'E.164, e.g. +919876543210' }),
  reason: Nullable(Type.String()),
  created_by: Type.String({ description: 'Cognito sub of who added it' }),
  created_at: Timestamp
}, { additionalProperties: false })

export const SuppressionListQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  offset: Type.Integer({ minimum: 0, maximum: 2_147_483_647, default: 0 }),
  search: Type.Optional(Type.String({ minLength: 1, maxLength: 20, description: 'Part of a number' }))
}, { additionalProperties: false })

export const SuppressionList = Type.Object({
  success: Type.Literal(true),
  suppressions: Type.Array(Suppression),
  total: Type.Integer()
})

export const AddSuppressionsBody = Type.Object({
  phones: Type.Array(Type.String({ minLength: 1, maxLength: 40 }), {
    minItems: 1, maxItems: 10_000, description: 'Numbers, E.164 or national (read as DEFAULT_PHONE_REGION)'
  }),
  reason: Type.Optional(Type.String({ maxLength: 200, description: 'Why, e.g. "asked not to be called"' }))
}, { additionalProperties: false })

export const SuppressionsAdded = Type.Object({
  success: Type.Literal(true),
  message: Type.String(),
  added: Type.Integer({ description: 'Numbers newly on the list' }),
  already: Type.Integer({ description: 'Numbers that were on it already' })
})

export const SuppressionUploadReport = Type.Object({
  success: Type.Literal(true),
  message: Type.String(),
  total: Type.Integer({ description: 'Rows under the header' }),
  added: Type.Integer(),
  already: Type.Integer(),
  rejected: Type.Integer(),
  rejected_rows: Type.Array(RejectedRow, { description: 'The first 100 rows with no valid number' })
})

export const RemoveSuppressionQuery = Type.Object({
  phone: Type.String({ minLength: 1, maxLength: 40, description: 'The number (a + must be sent as %2B)' })
}, { additionalProperties: false })
