import { Type } from '@sinclair/typebox'
import { Call, CALL_STATUSES, CallEvent, CallStatus, Conversation } from './calls.js'
import { LastOutcome, Nullable, Timestamp } from './common.js'

export const Customer = Type.Object({
  id: Type.String({ description: 'The customer id from the file, or one made up for a row without one' }),
  name: Nullable(Type.String()),
  phone: Type.String({ description: 'E.164, e.g. +919876543210' }),
  email: Nullable(Type.String()),
  language: Nullable(Type.String()),
  attributes: Type.Record(Type.String(), Type.String(), {
    description: 'Every other column of the uploaded file, by its header (amount due, due date, ...)'
  }),
  last_call_status: Nullable(CallStatus),
  last_call_at: Nullable(Timestamp),
  upload_id: Nullable(Type.String({ description: 'The upload that last wrote this customer' })),
  edited_fields: Type.Array(Type.String(), {
    description: 'Fields an operator changed by hand (name, phone, email, language, attributes.<header>): a later upload leaves them as they are'
  }),
  created_at: Timestamp,
  updated_at: Timestamp
}, { additionalProperties: false })

export const EditCustomerBody = Type.Object({
  name: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 200 }))),
  phone: Type.Optional(Type.String({ minLength: 1, maxLength: 40, description: 'E.164 or national (read as DEFAULT_PHONE_REGION)' })),
  email: Type.Optional(Nullable(Type.String({ minLength: 3, maxLength: 320 }))),
  language: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 40 }))),
  // Null first: Ajv's type coercion would otherwise read a null as "" for the string.
  attributes: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 100 }), Type.Union([Type.Null(), Type.String({ maxLength: 2000 })]), {
    maxProperties: 100, description: 'Columns to set by header; null removes one'
  }))
}, { additionalProperties: false, minProperties: 1 })

export const CustomerListQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  offset: Type.Integer({ minimum: 0, maximum: 2_147_483_647, default: 0 }),
  cursor: Type.Optional(Type.String({ maxLength: 100, description: 'next_cursor of the previous page (replaces offset)' })),
  search: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Part of a name, customer id or phone' })),
  status: Type.Optional(Type.Union([...CALL_STATUSES, 'none'].map((status) => Type.Literal(status)), {
    description: 'Status of the last call; none: never called'
  })),
  upload_id: Type.Optional(Type.String({ format: 'uuid', description: 'Customers this upload wrote (the upload that last wrote each one)' })),
  last_outcome: LastOutcome
}, { additionalProperties: false })

export const CustomerList = Type.Object({
  success: Type.Literal(true),
  customers: Type.Array(Customer),
  total: Type.Integer({ description: 'Customers matching the filters, on every page' }),
  limit: Type.Integer(),
  offset: Type.Integer(),
  next_cursor: Nullable(Type.String({ description: 'Pass as cursor for the next page; null on the last' }))
})

export const CustomerParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) })

export const CustomerResponse = Type.Object({ success: Type.Literal(true), customer: Customer })

export const RejectedRow = Type.Object({
  row: Type.Integer({ description: 'Row number as a spreadsheet shows it (the header is row 1)' }),
  reason: Type.String()
})

export const UploadReport = Type.Object({
  success: Type.Literal(true),
  message: Type.String(),
  upload_id: Type.String(),
  total: Type.Integer({ description: 'Customer rows in the file (blank rows are not counted)' }),
  inserted: Type.Integer(),
  updated: Type.Integer(),
  rejected: Type.Integer(),
  rejected_rows: Type.Array(RejectedRow, { description: 'The first 100 rejected rows' }),
  rejected_rows_not_shown: Type.Integer({ description: 'Rejected rows beyond those listed' })
})

export const UploadFileBody = Type.Object({
  file: Type.String({ format: 'binary', description: 'A CSV (comma, semicolon or tab separated) or .xlsx file' })
})

export const Upload = Type.Object({
  id: Type.String(),
  user_sub: Type.String({ description: 'The Cognito sub of who uploaded it' }),
  file_name: Type.String(),
  format: Type.Union([Type.Literal('csv'), Type.Literal('xlsx')]),
  status: Type.Union([Type.Literal('processing'), Type.Literal('completed'), Type.Literal('failed')]),
  total: Type.Integer(),
  inserted: Type.Integer(),
  updated: Type.Integer(),
  rejected: Type.Integer(),
  error: Nullable(Type.String()),
  created_at: Timestamp,
  finished_at: Nullable(Timestamp)
}, { additionalProperties: false })

export const PageQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  offset: Type.Integer({ minimum: 0, maximum: 2_147_483_647, default: 0 })
}, { additionalProperties: false })

export const UploadList = Type.Object({
  success: Type.Literal(true),
  uploads: Type.Array(Upload),
  total: Type.Integer()
})

export const CustomerExport = Type.Object({
  success: Type.Literal(true),
  exported_at: Timestamp,
  customer: Customer,
  calls: Type.Array(Type.Composite([Call, Type.Object({ events: Type.Array(CallEvent), conversation: Nullable(Conversation) })], {
    additionalProperties: false
  }), { description: 'Every call to them, oldest first, with its timeline and conversation' }),
  suppression: Nullable(Type.Object({
    phone: Type.String(),
    reason: Nullable(Type.String()),
    created_by: Type.String(),
    created_at: Timestamp
  }, { description: "Their number's entry on the do-not-call list" }))
})
