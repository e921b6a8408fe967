import { Type } from '@sinclair/typebox'
import { Nullable } from './common.js'

export const CallerIdQuery = Type.Object({
  hours: Type.Optional(Type.Integer({ minimum: 1, maximum: 720, default: 24, description: 'How far back calls are counted (default 24 hours)' }))
}, { additionalProperties: false })

export const CallerIdList = Type.Object({
  success: Type.Literal(true),
  hours: Type.Integer(),
  caller_ids: Type.Array(Type.Object({
    number: Type.String({ description: 'An ExoPhone calls are placed from (EXOTEL_CALLER_IDS, else EXOTEL_CALLER_ID)' }),
    dials: Type.Integer({ description: 'Calls placed from it' }),
    answered: Type.Integer(),
    failed: Type.Integer({ description: 'Calls Exotel refused or that failed' }),
    answer_rate: Nullable(Type.Number({ minimum: 0, maximum: 1, description: 'Answered of dialled; null before any dial' })),
    resting: Type.Boolean({
      description: 'Exotel refused it in the last hour, or customers stopped answering it (at least 10 dials in the last hour, ' +
      'under 10% answered). Calls go from the other numbers (while any is awake) until it recovers'
    }),
    resting_reason: Nullable(Type.Union([Type.Literal('refused'), Type.Literal('unanswered')], { description: 'Why it rests; null when it does not' }))
  }, { additionalProperties: false }))
})
