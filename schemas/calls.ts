import { Type } from '@sinclair/typebox'
import { LastOutcome, Nullable, Timestamp } from './common.js'

/** Where a call stands, in Exotel's words where Exotel has one. */
export const CALL_STATUSES = [
  'queued', 'initiated', 'ringing', 'in-progress', 'completed', 'busy', 'no-answer', 'failed', 'canceled'
] as const

export const CallStatus = Type.Union(CALL_STATUSES.map((status) => Type.Literal(status)), {
  description: 'queued, initiated, ringing, in-progress, then completed, busy, no-answer, failed or canceled'
})

export const SKIP_REASONS = [
  'suppressed', 'attempt-cap', 'outside-window', 'canceled', 'in-progress', 'not-found', 'recently-final', 'missing-field', 'erased'
] as const

const SkipReasonSchema = Type.Union(SKIP_REASONS.map((reason) => Type.Literal(reason)), {
  description: 'Why a call was not dialled: suppressed (the number is on the suppression list), attempt-cap (the ' +
    'customer was dialled ATTEMPT_CAP times within ATTEMPT_CAP_HOURS), outside-window (the batch\'s end_at came ' +
    'before its calling window opened), canceled (its batch was canceled), recently-final (a call in the campaign\'s ' +
    'skip_final_within_days ended with a final outcome, such as confirmed), missing-field (the customer has no value ' +
    'for a field the assistant says with no fallback), erased (the customer was deleted before it was dialled); in a dry run or preview also in-progress (a call is already ' +
    'queued or going on) and not-found (no such customer)'
})

export const Call = Type.Object({
  id: Type.String({ description: 'Our call id (Exotel echoes it as CustomField)' }),
  customer_id: Type.String(),
  customer_name: Nullable(Type.String()),
  phone: Type.String({ description: 'The number dialled, E.164' }),
  batch_id: Nullable(Type.String()),
  attempt: Type.Integer({ description: '1 for the first try, then one more per retry' }),
  status: CallStatus,
  triggered_by: Type.String({ description: 'Cognito sub of who started it' }),
  exotel_sid: Nullable(Type.String({ description: "Exotel's Call Sid" })),
  caller_id: Nullable(Type.String({ description: 'The ExoPhone the call was placed from (EXOTEL_CALLER_IDS); null before its dial' })),
  error: Nullable(Type.String()),
  answered_by: Nullable(Type.String({ description: 'human, machine or notsure, as Exotel reports it' })),
  duration_seconds: Nullable(Type.Integer()),
  recording_url: Nullable(Type.String()),
  created_at: Timestamp,
  dialled_at: Nullable(Timestamp),
  answered_at: Nullable(Timestamp),
  ended_at: Nullable(Timestamp),
  updated_at: Timestamp,
  not_before: Timestamp,
  skip_reason: Nullable(SkipReasonSchema),
  assistant_id: Nullable(Type.String({ description: 'The assistant the call talks with (GET /api/assistants/:id)' })),
  assistant_version: Nullable(Type.Integer({ description: 'Its version, pinned when the call was started' }))
}, { additionalProperties: false })

export const CallReason = Type.String({
  description: 'Where the call stands, in plain words: "busy: retry 2 of 3 at 14:05", "callback: follow-up 1 of 1 at ' +
    '18:00", "on the do-not-call list", "outside calling hours until 09:00" (times in its calling window\'s zone)'
})

export const CallEvent = Type.Object({
  status: CallStatus,
  source: Type.String({
    description: 'api, exotel-callback, passthru, dispatcher, retry, follow-up, campaign (what the campaign does next), ' +
      'media-stream, or reconciliation (Exotel\'s Call Details API)'
  }),
  detail: Type.Record(Type.String(), Type.Unknown()),
  created_at: Timestamp
}, { additionalProperties: false })

const AssistantId = Type.Optional(Type.String({
  format: 'uuid', maxLength: 36, description: 'The assistant to talk with, at its latest version (default: the default assistant)'
}))

export const TriggerSingleCallBody = Type.Object({
  customer_id: Type.String({ minLength: 1, maxLength: 100, description: 'The id of an uploaded customer' }),
  assistant_id: AssistantId
}, { additionalProperties: false })

export const CallResponse = Type.Object({ success: Type.Literal(true), message: Type.String(), call: Call })

export const CallListQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  offset: Type.Integer({ minimum: 0, maximum: 2_147_483_647, default: 0 }),
  status: Type.Optional(CallStatus),
  customer_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  batch_id: Type.Optional(Type.String({ format: 'uuid' })),
  outcome: Type.Optional(Type.Array(Type.String({ maxLength: 1000, pattern: '^[a-z0-9_-]{1,40}(,[a-z0-9_-]{1,40})*$' }), {
    maxItems: 20,
    description: 'What came of the call\'s conversation: one or several outcomes (`?outcome=confirmed&outcome=callback` ' +
      'or `?outcome=confirmed,callback`); `none` for calls with no outcome recorded'
  }))
}, { additionalProperties: false })

const ExportFormat = Type.Union([Type.Literal('csv'), Type.Literal('xlsx')], {
  default: 'csv', description: 'csv (UTF-8, with a byte-order mark) or xlsx'
})

/** An export of results: the format, and a row a customer or a row a call. */
export const ExportOptions = {
  format: ExportFormat,
  per: Type.Union([Type.Literal('customer'), Type.Literal('attempt')], {
    description: 'customer: a row a customer (their latest call, final outcome, attempts, talk time); attempt: a row a call'
  })
}

export const CallExportQuery = Type.Object({
  format: ExportOptions.format,
  per: Type.Optional(ExportOptions.per),
  status: CallListQuery.properties.status,
  customer_id: CallListQuery.properties.customer_id,
  batch_id: CallListQuery.properties.batch_id,
  outcome: CallListQuery.properties.outcome
}, { additionalProperties: false })

export const CampaignExportQuery = Type.Object({
  format: ExportOptions.format,
  per: Type.Optional(ExportOptions.per)
}, { additionalProperties: false })

export const ExportFile = {
  description: 'The file, streamed: outcome fields and the uploaded columns each a column of their own; a cell that ' +
    'starts with =, +, -, @, a tab or a carriage return is given a leading \' so that no spreadsheet runs it',
  content: {
    'text/csv': { schema: { type: 'string' } },
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { schema: { type: 'string', format: 'binary' } }
  }
}

export const CallList = Type.Object({
  success: Type.Literal(true),
  calls: Type.Array(Type.Composite([Call, Type.Object({
    outcome: Nullable(Type.String({ description: "What came of the call's conversation, once the assistant has recorded it" })),
    reason: CallReason
  })], { additionalProperties: false })),
  total: Type.Integer()
})

export const CallParams = Type.Object({ id: Type.String({ format: 'uuid' }) })

const Milliseconds = (description: string) => Type.Array(Type.Integer({ minimum: 0 }), { description })

/** How a live call sounded, measured on its stream once it ended (lib/live-call/quality.ts). Times in milliseconds. */
export const Quality = Type.Object({
  first_audio_ms: Nullable(Type.Integer({ description: "The stream's start to the assistant's first audio" })),
  response_delays_ms: Milliseconds('Each turn: the caller stopped speaking (or pressed a key) to the assistant\'s next audio'),
  barge_in_reactions_ms: Milliseconds('Each barge-in: the caller started speaking over the assistant to its audio being cleared'),
  underruns: Type.Integer({ description: 'Times the assistant was speaking and nothing was queued for more than 100 ms' }),
  stream_gaps: Type.Integer({ description: 'Times the caller\'s stream sent nothing for over 200 ms beyond a frame' }),
  longest_gap_ms: Type.Integer(),
  late_frames: Type.Integer({ description: 'Frames that arrived over 200 ms after their timestamp' }),
  model_delays_ms: Milliseconds('The AI model\'s own delay, each response: asked to respond to its first audio (OpenAI assistant)')
}, { additionalProperties: false })

export const Conversation = Type.Object({
  assistant: Type.String({ description: 'scripted, openai or echo' }),
  stream_sid: Type.String({ description: "Exotel's stream id" }),
  started_at: Timestamp,
  ended_at: Nullable(Timestamp),
  stop_reason: Nullable(Type.String({ description: 'callended (the caller hung up), hung up by the assistant, stopped, stream closed, ...' })),
  dtmf: Type.String({ description: 'Keys the caller pressed, in order' }),
  transcript: Type.Array(Type.Object({
    speaker: Type.Union([Type.Literal('assistant'), Type.Literal('caller')]),
    text: Type.String(),
    at: Timestamp
  })),
  barge_ins: Type.Integer({ description: 'Times the caller interrupted the assistant (talking or pressing a key) and it stopped' }),
  outcome: Nullable(Type.String({ description: 'What came of the call: confirmed, callback, no-response, hung-up, ...' })),
  outcome_detail: Nullable(Type.Record(Type.String(), Type.Unknown())),
  problem: Nullable(Type.String({ description: 'What went wrong on the live call, if anything (e.g. the AI service dropped)' })),
  quality: Nullable(Quality)
}, { additionalProperties: false, description: 'The live call on the media stream, with the voice assistant' })

/** The server's own recording of a call (RECORDINGS=on), once its stream has ended. */
export const Recording = Type.Object({
  url: Type.String({ description: 'GET it with the bearer token: a stereo WAV (the customer left, the assistant right); Range requests are answered' }),
  started_at: Timestamp,
  duration_ms: Type.Integer(),
  bytes: Type.Integer()
}, { additionalProperties: false })

export const RecordingFile = {
  description: 'The recording, a stereo 16-bit PCM WAV file (the customer on the left channel, the assistant on the right)',
  content: { 'audio/wav': { schema: { type: 'string', format: 'binary' } } }
}

export const RecordingHeaders = Type.Object({
  range: Type.Optional(Type.String({ maxLength: 200, description: 'bytes=START-END: a part of the file (206), so that a player can seek' }))
})

export const CallDetail = Type.Object({
  success: Type.Literal(true),
  call: Type.Composite([Call, Type.Object({
    events: Type.Array(CallEvent),
    conversation: Nullable(Conversation),
    reason: CallReason,
    recording: Type.Optional(Nullable(Recording))
  })], {
    additionalProperties: false
  })
})

const HOURS = '^([01]\\d|2[0-4]):[0-5]\\d-([01]\\d|2[0-4]):[0-5]\\d$'

export const CallingWindowSchema = Type.Object({
  timezone: Type.String({ minLength: 1, maxLength: 64, description: 'IANA timezone, e.g. Asia/Kolkata' }),
  days: Type.Array(Type.Union((['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const).map((day) => Type.Literal(day))), {
    minItems: 1, maxItems: 7, uniqueItems: true, description: 'Weekdays, in that timezone'
  }),
  hours: Type.Array(Type.String({ maxLength: 11, pattern: HOURS }), {
    minItems: 1, maxItems: 24, description: 'Local HH:MM-HH:MM ranges, start before end (24:00 for midnight), e.g. ["09:00-13:00", "14:00-21:00"]'
  })
}, {
  additionalProperties: false,
  description: 'When calls may be dialled (default CALLING_HOURS on CALLING_DAYS in CALLING_TIMEZONE, 09:00-21:00 ' +
    'every day in Asia/Kolkata). A call due outside it, retries included, waits for the next opening.'
})

export const TriggerBulkCallsBody = Type.Object({
  customer_ids: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
    minItems: 1, maxItems: 200_000, description: 'These customers'
  })),
  filter: Type.Optional(Type.Object({
    search: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    status: Type.Optional(Type.Union([...CALL_STATUSES, 'none'].map((status) => Type.Literal(status)))),
    upload_id: Type.Optional(Type.String({ format: 'uuid' })),
    last_outcome: LastOutcome
  }, { additionalProperties: false, description: 'Or every customer matching this filter (as GET /api/customers); {} for all' })),
  start_at: Type.Optional(Type.String({ format: 'date-time', description: 'Dial nothing before this time (default: now)' })),
  end_at: Type.Optional(Type.String({
    format: 'date-time', description: 'Calls not dialled by this time are skipped (outside-window), retries included'
  })),
  calling_window: Type.Optional(CallingWindowSchema),
  dry_run: Type.Optional(Type.Boolean({
    description: 'true: answer (200) what would happen to each customer, dialled or skipped and why, and dial nobody'
  })),
  assistant_id: AssistantId,
  name: Type.Optional(Type.String({
    minLength: 1, maxLength: 120, description: 'What to call the campaign this makes (default: "Bulk call, <time> UTC")'
  }))
}, { additionalProperties: false })

export const PlannedCall = Type.Object({
  customer_id: Type.String(),
  action: Type.Union([Type.Literal('dial'), Type.Literal('skip')]),
  reason: Nullable(SkipReasonSchema),
  missing: Type.Optional(Type.Array(Type.String(), { description: 'missing-field: the fields the customer has no value for' }))
}, { additionalProperties: false })

export const BatchDryRun = Type.Object({
  success: Type.Literal(true),
  dry_run: Type.Literal(true),
  message: Type.String(),
  would_dial: Type.Integer(),
  would_skip: Type.Integer(),
  skipped_by_reason: Type.Record(Type.String(), Type.Integer()),
  first_dial_at: Timestamp,
  calls: Type.Array(PlannedCall, { description: 'Each selected customer, in upload order; unknown ids last' })
})

export const BatchQueued = Type.Object({
  success: Type.Literal(true),
  message: Type.String(),
  batch_id: Type.String(),
  queued: Type.Integer({ description: 'Calls queued' }),
  skipped: Type.Integer({ description: 'Customers selected but not queued: unknown, with a call already queued or in progress, suppressed or capped' }),
  skipped_by_reason: Type.Record(Type.String(), Type.Integer(), { description: 'in-progress, suppressed, attempt-cap, not-found' }),
  first_dial_at: Timestamp
})

export const BatchParams = Type.Object({ id: Type.String({ format: 'uuid' }) })

const StatusCounts = Type.Object(Object.fromEntries(CALL_STATUSES.map((status) => [status, Type.Integer()])) as
  Record<(typeof CALL_STATUSES)[number], ReturnType<typeof Type.Integer>>)

export const Batch = Type.Object({
  id: Type.String(),
  status: Type.Union([Type.Literal('running'), Type.Literal('finished'), Type.Literal('canceled')]),
  created_by: Type.String(),
  created_at: Timestamp,
  canceled_at: Nullable(Timestamp),
  total: Type.Integer({ description: 'Calls queued when the batch started' }),
  start_at: Nullable(Timestamp),
  end_at: Nullable(Timestamp),
  calling_window: CallingWindowSchema,
  counts: Type.Composite([StatusCounts], { description: "Each customer's latest attempt, by status" }),
  retries: Type.Integer({ description: 'Calls made beyond the first attempt' }),
  next_dial_at: Nullable(Type.Unsafe<Date | string>({
    type: 'string', format: 'date-time', description: 'When the earliest waiting call may be dialled (retry delay, calling window); null when none waits'
  }))
}, { additionalProperties: false })

const Spread = (description: string) => Nullable(Type.Object({ p50: Type.Integer(), p95: Type.Integer() }, { additionalProperties: false, description }))

export const Analytics = Type.Object({
  calls: Type.Integer({ description: 'Calls (every attempt)' }),
  customers: Type.Integer({ description: 'Customers those calls were to' }),
  dialled: Type.Integer({ description: 'Calls Exotel accepted' }),
  answered: Type.Integer(),
  pick_up_rate: Nullable(Type.Number({ description: 'answered / dialled, 0 to 1; null before anything is dialled' })),
  customers_reached: Type.Integer({ description: 'Customers who answered at least once' }),
  busy: Type.Integer(),
  no_answer: Type.Integer(),
  failed: Type.Integer(),
  in_flight: Type.Integer({ description: 'Dialled, not yet over' }),
  queued: Type.Integer({ description: 'Waiting to be dialled' }),
  average_talk_seconds: Nullable(Type.Number({ description: 'Mean duration of answered calls' })),
  outcomes: Type.Record(Type.String(), Type.Integer(), { description: 'Conversations by outcome: confirmed, callback, no-response, ...' }),
  skipped: Type.Record(Type.String(), Type.Integer(), {
    description: 'Calls never dialled, by reason: suppressed, attempt-cap, outside-window, canceled'
  }),
  quality: Type.Object({
    calls_measured: Type.Integer({ description: 'Answered calls whose stream was measured' }),
    first_audio_ms: Spread('The stream\'s start to the assistant\'s first audio'),
    response_delay_ms: Spread('Reply delay, every turn of every call'),
    barge_in_reaction_ms: Spread('Barge-in reaction, every barge-in'),
    model_delay_ms: Spread('The AI model\'s own delay, every response'),
    underruns: Type.Integer({ description: 'Stutters: the assistant mid-sentence with nothing queued for over 100 ms' }),
    calls_with_underruns: Type.Integer(),
    stream_gaps: Type.Integer({ description: 'Gaps over 200 ms in the callers\' streams' })
  }, { additionalProperties: false, description: 'How the calls sounded (each call\'s quality, see GET /api/calls/{id}), p50 and p95 in milliseconds' })
}, { additionalProperties: false })

export const AnalyticsQuery = Type.Object({
  since: Type.Optional(Type.String({ format: 'date-time', description: 'Calls created from this time' })),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'Calls created before this time' })),
  batch_id: Type.Optional(Type.String({ format: 'uuid' }))
}, { additionalProperties: false })

export const AnalyticsResponse = Type.Object({ success: Type.Literal(true), analytics: Analytics })

export const SeriesQuery = Type.Object({
  ...AnalyticsQuery.properties,
  bucket: Type.Union([Type.Literal('hour'), Type.Literal('day')], { default: 'day', description: 'The step of over_time' })
}, { additionalProperties: false })

const Count = Type.Integer({ minimum: 0 })
export const SeriesResponse = Type.Object({
  success: Type.Literal(true),
  timezone: Type.String({ description: 'The time zone hours and days are counted in (CALLING_TIMEZONE)' }),
  series: Type.Object({
    over_time: Type.Array(Type.Object({ at: Type.String({ description: 'The start of the hour or day, local time' }), dialled: Count, answered: Count })),
    by_hour: Type.Array(Type.Object({ hour: Type.Integer({ minimum: 0, maximum: 23 }), dialled: Count, answered: Count }), { description: 'Every hour of the day' }),
    attempts: Type.Array(Type.Object({ attempts: Count, customers: Count }), { description: 'How many customers were dialled how many times' }),
    talk: Type.Array(Type.Object({ range: Type.String(), calls: Count }), { description: 'Answered calls by how long they lasted' }),
    outcomes: Type.Record(Type.String(), Count)
  })
})

export const BatchResponse = Type.Object({
  success: Type.Literal(true),
  batch: Type.Composite([Batch, Type.Object({ analytics: Analytics })], { additionalProperties: false })
})

export const BatchList = Type.Object({ success: Type.Literal(true), batches: Type.Array(Batch), total: Type.Integer() })

export const BatchCanceled = Type.Object({
  success: Type.Literal(true),
  message: Type.String(),
  canceled: Type.Integer({ description: 'Calls canceled before they were dialled' })
})
