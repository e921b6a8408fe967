import { Type } from '@sinclair/typebox'
import { Nullable, Timestamp } from './common.js'

export const AuditQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  offset: Type.Integer({ minimum: 0, maximum: 2_147_483_647, default: 0 }),
  action: Type.Optional(Type.String({
    minLength: 1, maxLength: 60, pattern: '^[a-z.-]+$', description: 'One action (campaign.started), or a family ending in a dot (campaign.)'
  })),
  actor: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'A person\'s Cognito sub or a program\'s client id' })),
  target_type: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
  target_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'From this moment on' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Before this moment' }))
}, { additionalProperties: false })

export const AuditEvent = Type.Object({
  id: Type.String(),
  at: Timestamp,
  actor: Type.String({ description: 'A person\'s Cognito sub, or a program\'s app client id' }),
  actor_kind: Type.Union([Type.Literal('person'), Type.Literal('program')]),
  actor_email: Nullable(Type.String({ description: 'The person\'s email, while they are in the user pool' })),
  address: Nullable(Type.String({ description: 'The address the request came from' })),
  action: Type.String({
    description: 'user.signed-in, customers.uploaded, campaign.created/edited/started/paused/resumed/canceled, ' +
    'call.started, do-not-call.added/uploaded/removed, customer.edited/deleted/exported, user.invited/changed, ' +
    'assistant.created/changed/archived'
  }),
  target_type: Nullable(Type.String()),
  target_id: Nullable(Type.String()),
  summary: Type.String()
}, { additionalProperties: false })

export const AuditList = Type.Object({ success: Type.Literal(true), events: Type.Array(AuditEvent), total: Type.Integer() })
