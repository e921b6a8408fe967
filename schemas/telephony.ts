import { Type } from '@sinclair/typebox'

// What Exotel sends is read tolerantly on purpose: Exotel adds fields over time, so fields this server does not
// know are accepted and ignored here (unlike /api and /auth, which refuse them).
const TOLERANT = 'Tolerant on purpose: Exotel adds fields over time, so fields this server does not know are accepted and ignored.'

const Field = (description: string) => Type.Optional(Type.String({ maxLength: 2048, description }))

/** The query of Exotel's requests: the webhook token (the `exotelToken` scheme) and whatever else Exotel adds. */
export const WebhookQuery = Type.Object({}, { additionalProperties: true, description: TOLERANT })

export const WebhookResponse = Type.Object({ success: Type.Literal(true), message: Type.String() })

export const AgentNumber = Type.String({ description: 'The agents\' number in E.164 (HANDOFF_AGENT_NUMBER), as plain text' })

export const StatusCallbackBody = Type.Object({
  CallSid: Type.String({ maxLength: 64, description: "Exotel's Call Sid, as the dial answered it" }),
  EventType: Field('answered or terminal (only terminal without StatusCallbackEvents)'),
  Status: Field('completed, failed, busy, no-answer (CallStatus is accepted as well)'),
  CustomField: Field('Our call id, as we set it'),
  ConversationDuration: Field('Seconds of conversation (Duration and DialCallDuration are accepted as well)'),
  RecordingUrl: Field('The recording, when the call was recorded'),
  DateCreated: Field('YYYY-MM-DD HH:mm:ss, India time'),
  DateUpdated: Field('YYYY-MM-DD HH:mm:ss, India time'),
  From: Field('The number dialled'),
  To: Field('The ExoPhone'),
  Direction: Field('outbound-api for our calls'),
  Legs: Type.Optional(Type.Array(Type.Object({
    Status: Field('The leg\'s status'),
    AnsweredBy: Field('Human, Machine, NotSure or NA'),
    OnCallDuration: Field('Seconds')
  }, { additionalProperties: true }), { description: 'In form bodies flattened: Legs[0][Status], Legs[0][AnsweredBy], ...' }))
}, {
  additionalProperties: true,
  description: "Exotel's StatusCallback: multipart form data (Exotel's default), urlencoded, or JSON (with " +
    'StatusCallbackContentType=application/json). Numbers may come as strings and "null" as a string. ' + TOLERANT
})

export const StreamUrlQuery = Type.Object({
  CallSid: Type.Optional(Type.String({
    minLength: 1,
    maxLength: 64,
    description: "Exotel's Call Sid, when the flow passes it; without it the stream is bound to its call when it starts"
  })),
  CustomField: Type.Optional(Type.String({ maxLength: 128, description: 'Our call id, as we set it when dialling' })),
  'sample-rate': Type.Optional(Type.String({ maxLength: 8, description: '8000 (default), 16000 or 24000: passed on to the stream URL' }))
}, { additionalProperties: true, description: TOLERANT })

export const StreamUrl = Type.Object({ url: Type.String({ description: 'The wss:// URL to stream this call\'s audio to' }) })

/** The /media WebSocket, in words: OpenAPI 3.0 has no way to describe the messages of a WebSocket. */
export const MEDIA_STREAM = [
  "Exotel's Voicebot applet connects here (the URL, with its token, comes from GET /ws-url) and streams the call's",
  'audio both ways as JSON text frames (Exotel\'s AgentStream protocol). The token is good once, for one minute,',
  'for one call; it may come as `?token=` or as the password of a Basic Authorization header. A refused token',
  'closes the socket with 1008.',
  '',
  'Exotel to us: `connected`; `start` (`start.stream_sid`, `start.call_sid`, `start.custom_parameters`,',
  '`start.media_format` {encoding, sample_rate}: 16-bit PCM or mu-law at 8, 16 or 24 kHz); `media` (`media.payload`,',
  'base64 audio, with `media.chunk` and `media.timestamp`); `dtmf` (`dtmf.digit`); `mark` (`mark.name`: our audio up',
  'to that mark has played); `stop` (`stop.reason`: `callended` when the caller hung up, else `stopped`).',
  '',
  'Us to Exotel: `media` (`media.payload` in multiples of 320 bytes, 3 200 bytes to 100 KB, paced near real time,',
  'with `sequence_number`, `media.chunk` and `media.timestamp` counting up); `mark` (`mark.name`); `clear` (drop',
  'the audio not yet played: the caller talked over the assistant). Closing the socket ends the assistant\'s part',
  'of the call; the flow goes on to its next applet.'
].join('\n')

export const StreamPassthruBody = Type.Object({
  CallSid: Type.Optional(Type.String({ maxLength: 64, description: "Exotel's Call Sid (required: a request without it is refused)" })),
  EventType: Type.Optional(Type.String({ maxLength: 32, description: 'stream-start or stream-stop (required)' })),
  StreamSid: Type.Optional(Type.String({ maxLength: 64 })),
  StreamUrl: Type.Optional(Type.String({ maxLength: 2048, description: 'The stream URL, with our token: never stored' })),
  From: Type.Optional(Type.String({ maxLength: 64 })),
  To: Type.Optional(Type.String({ maxLength: 64 })),
  Direction: Type.Optional(Type.String({ maxLength: 32 }))
}, {
  additionalProperties: true,
  description: "What Exotel's Passthru applet for streams POSTs when a stream starts or stops. " + TOLERANT
})
