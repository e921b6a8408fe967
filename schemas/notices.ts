import { Type } from '@sinclair/typebox'
import { Timestamp } from './common.js'

export const NoticeList = Type.Object({
  success: Type.Literal(true),
  notices: Type.Array(Type.Object({
    kind: Type.Union([Type.Literal('webhook-off'), Type.Literal('caller-id-resting'), Type.Literal('handoff')], {
      description: 'webhook-off: an endpoint was switched off after failing for a day; caller-id-resting: customers stopped ' +
        'answering one of the caller numbers, which rests; handoff: a customer was handed to a person in the last 15 minutes ' +
        '(the link opens the call: who they are, what was said)'
    }),
    message: Type.String({ description: 'What needs attention, for a person to read' }),
    since: Timestamp,
    link: Type.String({ description: 'The dashboard screen where it is dealt with' })
  }, { additionalProperties: false }))
})
