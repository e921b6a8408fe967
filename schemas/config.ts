import { Type, type Static } from '@sinclair/typebox'

// A plain `enum` gives one readable validation error, where a union of literals gives one per member.
const StringEnum = <const T extends string>(values: readonly T[], options: { default: T, description: string }) =>
  Type.Unsafe<T>({ type: 'string', enum: values, ...options })

const Optional = (description: string) => Type.Optional(Type.String({ minLength: 1, description }))

// Every environment variable the server reads. `.env.example` documents the same list.
export const Config = Type.Object({
  HOST: Type.String({ default: '0.0.0.0', minLength: 1, description: 'Interface to listen on' }),
  PORT: Type.Integer({ default: 8000, minimum: 0, maximum: 65535, description: 'Port to listen on' }),
  LOG_LEVEL: StringEnum(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    { default: 'info', description: 'Minimum level written to the log' }
  ),
  CORS_ORIGINS: Type.String({
    default: '',
    description: 'Browser origins allowed to call the API from other sites: a comma-separated list, or "*" for every ' +
      'origin; empty (the default): only pages served by this server'
  }),
  DATABASE_URL: Type.Optional(Type.String({
    pattern: '^postgres(ql)?://',
    description: 'PostgreSQL server; when unset, the embedded PGlite database in DATA_DIR is used'
  })),
  DATABASE_TIMEOUT_SECONDS: Type.Integer({
    default: 30,
    minimum: 1,
    maximum: 3600,
    description: 'Longest wait for the PostgreSQL server to connect, and longest statement, in seconds'
  }),
  DATA_DIR: Type.String({
    default: './data',
    minLength: 1,
    description: 'Folder of the embedded PGlite database ("memory://" keeps it in memory)'
  }),
  NODE_ENV: StringEnum(['development', 'production', 'test'], {
    default: 'development',
    description: 'In production the local Cognito emulator is never started'
  }),
  AUTH_RATE_LIMIT_PER_IP: Type.Integer({
    default: 30,
    minimum: 1,
    description: 'Requests a minute one IP address may make to sign-up, sign-in and the code routes together'
  }),
  AUTH_RATE_LIMIT_PER_EMAIL: Type.Integer({
    default: 10,
    minimum: 1,
    description: 'Requests a minute naming one email that those routes accept from one address'
  }),
  AUTH_RATE_LIMIT_PER_EMAIL_ALL_ADDRESSES: Type.Integer({
    default: 60,
    minimum: 1,
    description: 'Requests a minute naming one email that those routes accept from all addresses together'
  }),
  TRUST_PROXY: Type.Integer({
    default: 0,
    minimum: 0,
    maximum: 10,
    description: 'Proxies in front of the server (a load balancer: 1) whose X-Forwarded-For tells the client address; 0: none, the header is ignored'
  }),
  UPLOAD_MAX_BYTES: Type.Integer({
    default: 25 * 1024 * 1024,
    minimum: 1,
    description: 'Largest customer file an upload may send, in bytes'
  }),
  UPLOAD_MAX_ROWS: Type.Integer({
    default: 200_000,
    minimum: 1,
    description: 'Most rows one upload may hold under its header, blank rows included'
  }),
  UPLOAD_MAX_CELL_CHARS: Type.Integer({
    default: 32_767,
    minimum: 100,
    description: 'Longest cell an uploaded file may hold, in characters (a longer one refuses the file as it is read); Excel\'s own limit by default'
  }),
  UPLOAD_MAX_EXPANDED_BYTES: Type.Integer({
    default: 128 * 1024 * 1024,
    minimum: 1024 * 1024,
    description: 'Most bytes an uploaded .xlsx workbook may expand to when unzipped, all its parts together'
  }),
  DEFAULT_PHONE_REGION: Type.String({
    default: 'IN',
    pattern: '^[A-Z]{2}$',
    description: 'Country (ISO 3166 code) of phone numbers written without a +country code'
  }),
  PUBLIC_BASE_URL: Type.Optional(Type.String({
    pattern: '^https?://[^/?#]+$',
    description: 'Where Exotel reaches this server, e.g. https://calls.example.com; default: its own listening address'
  })),
  EXOTEL_API_KEY: Optional('Exotel API key; when unset (and not in production), the Exotel simulator places the calls'),
  EXOTEL_API_TOKEN: Optional('Exotel API token'),
  EXOTEL_ACCOUNT_SID: Optional('Exotel account SID'),
  EXOTEL_SUBDOMAIN: Type.String({
    default: 'api.exotel.com',
    pattern: '^[a-z0-9.-]+$',
    description: 'Exotel API host: api.exotel.com (Singapore) or api.in.exotel.com (Mumbai)'
  }),
  EXOTEL_CALLER_ID: Optional('The ExoPhone customers see calling them'),
  EXOTEL_CALLER_IDS: Optional('Several ExoPhones, comma-separated, in E.164 (+91...): calls are placed from them in turn, and ' +
    'a customer called again sees the number they saw last. Unset: EXOTEL_CALLER_ID alone'),
  HANDOFF_AGENT_NUMBER: Type.Optional(Type.String({
    pattern: '^\\+[1-9]\\d{7,14}$',
    description: 'The number Exotel rings when an assistant hands a call to a person (E.164, +91...): the flow\'s Connect ' +
      'applet asks GET /handoff-agent for it. Unset: no assistant may hand off'
  })),
  EXOTEL_APP_ID: Type.Optional(Type.String({ pattern: '^\\d+$', description: 'The Exotel app (flow) with the Passthru and Voicebot applets (EXOTEL_CALL_MODE=flow)' })),
  EXOTEL_CALL_MODE: Type.Optional(Type.Unsafe<'stream' | 'flow'>({
    type: 'string',
    enum: ['stream', 'flow'],
    description: 'How an answered call reaches our media stream: stream (Calls/connect with a StreamUrl per call: no ' +
      'Exotel flow to build) or flow (an Exotel app whose Voicebot applet asks /ws-url; EXOTEL_APP_ID). Default: flow ' +
      'when EXOTEL_APP_ID is set, else stream'
  })),
  CAMPAIGN_PAUSE_FAILED_SHARE: Type.Number({
    default: 0.5,
    minimum: 0.05,
    maximum: 1,
    description: 'A campaign pauses itself when this share (0.05 to 1) of its recent dials failed (refused, failed, ' +
      'Exotel errors), once it made CAMPAIGN_PAUSE_MIN_DIALS within CAMPAIGN_PAUSE_WINDOW_SECONDS'
  }),
  CAMPAIGN_PAUSE_MIN_DIALS: Type.Integer({ default: 5, minimum: 1, maximum: 1000, description: 'Dials a campaign makes before its failures can pause it' }),
  CAMPAIGN_PAUSE_WINDOW_SECONDS: Type.Integer({ default: 120, minimum: 10, maximum: 3600, description: 'How far back a campaign\'s dials are counted' }),
  EXOTEL_WEBHOOK_TOKEN: Type.Optional(Type.String({
    minLength: 16,
    description: 'Secret carried by the URLs Exotel calls (?token=...); required with Exotel, made up per start with the simulator'
  })),
  EXOTEL_SIMULATOR_RING_MS: Type.Integer({ default: 2000, minimum: 0, description: 'Simulator: how long a phone rings' }),
  EXOTEL_SIMULATOR_TALK_MS: Type.Integer({
    default: 60000, minimum: 0, description: 'Simulator: the longest a caller stays on an answered call (then hangs up)'
  }),
  EXOTEL_SIMULATOR_LOSE_CALLBACKS: Type.Number({
    default: 0, minimum: 0, maximum: 1, description: 'Simulator: the share of final StatusCallbacks never sent (0 to 1)'
  }),
  EXOTEL_SIMULATOR_REALTIME: Type.Boolean({
    default: true, description: "Simulator: stream the caller's audio in real time (false: ten times faster, for tests)"
  }),
  ASSISTANT: Type.Union(['auto', 'scripted', 'openai', 'echo'].map((name) => Type.Literal(name)), {
    default: 'auto',
    description: 'The voice assistant on answered calls: openai (needs OPENAI_API_KEY), scripted (recorded prompts and ' +
      'keypad choices), echo (repeats the caller, for line tests); auto: openai with a key, else scripted'
  }),
  ASSISTANT_REPLY_TIMEOUT_MS: Type.Integer({
    default: 8000, minimum: 100, description: 'Scripted assistant: how long it waits for a key before asking again'
  }),
  ASSISTANT_PROMPT: Type.String({
    default: 'You are a polite assistant calling {{ name | default: "the customer" }} on behalf of our company about ' +
      'their account. Known details: {{ details | default: "none" }}. Speak briefly, in {{ language }}. Ask whether ' +
      'they confirm their payment or want a call back later, then call record_outcome with the answer and say goodbye.',
    description: 'The instructions of the first assistant made on a new deployment, when it is an OpenAI one (then ' +
      "edited in /api/assistants). Templates take the customer's values: {{ name }}, {{ language }}, {{ details }} (every " +
      'uploaded column), any uploaded column ({{ amount_due }})'
  }),
  SPEECH_CACHE_MB: Type.Integer({
    default: 32, minimum: 1, maximum: 4096, description: 'Memory kept for synthesized sentences (menus, goodbyes: made once, said to many)'
  }),
  SPEECH_WARM_UP: Type.Boolean({
    default: true, description: 'Start the speech engine when the server starts, rather than on the first answered call'
  }),
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16, description: 'The bearer token a scraper sends for GET /metrics; unset: /metrics answers 404' })),
  METRICS_PORT: Type.Integer({ default: 0, minimum: 0, maximum: 65535, description: 'Serve /metrics on this port too, with no token (a private network); 0: not' }),
  DRAIN_SECONDS: Type.Integer({
    default: 600,
    minimum: 0,
    maximum: 86_400,
    description: 'On SIGTERM, how long live calls may go on to their natural end before they are ended (a deploy never cuts a call sooner)'
  }),
  MEDIA_IDLE_TIMEOUT_SECONDS: Type.Integer({
    default: 15, minimum: 1, maximum: 3600, description: 'A media stream that sends nothing this long is closed (Exotel streams audio all through a call)'
  }),
  MEDIA_SEND_AHEAD_MS: Type.Integer({
    default: 400, minimum: 0, description: "How far ahead of playback the assistant's audio is sent (what a barge-in drops)"
  }),
  OPENAI_API_KEY: Optional('OpenAI API key: enables the OpenAI Realtime assistant'),
  OPENAI_REALTIME_URL: Type.String({
    default: 'wss://api.openai.com/v1/realtime', pattern: '^wss?://', description: 'OpenAI Realtime WebSocket endpoint'
  }),
  OPENAI_REALTIME_MODEL: Type.String({ default: 'gpt-realtime-2.1', minLength: 1, description: 'OpenAI Realtime model' }),
  OPENAI_TRANSCRIBE_MODEL: Type.String({
    default: 'gpt-live-transcribe', minLength: 1, description: "OpenAI model that transcribes the caller's words"
  }),
  OPENAI_PASS_MULAW: Type.Boolean({
    default: false,
    description: 'Pass mu-law streams to OpenAI as audio/pcmu instead of converting them to 24 kHz PCM (Exotel\'s own ' +
      'OpenAI bridge reports wrong pitch with audio/pcmu)'
  }),
  OPENAI_VOICE: Type.String({ default: 'alloy', description: 'OpenAI Realtime voice' }),
  CALLS_PER_MINUTE: Type.Integer({
    default: 60, minimum: 1, maximum: 200, description: 'Most calls dialled a minute (Exotel allows about 200)'
  }),
  MAX_CONCURRENT_CALLS: Type.Integer({ default: 10, minimum: 1, description: 'Most calls in flight at once' }),
  CALL_RETRIES: Type.Integer({ default: 2, minimum: 0, maximum: 10, description: 'Retries of a batch call that was busy or unanswered' }),
  CALL_RETRY_DELAY_SECONDS: Type.Integer({ default: 300, minimum: 0, description: 'Wait before such a retry' }),
  CALL_TIMEOUT_SECONDS: Type.Integer({
    default: 2400, minimum: 1, description: 'A call with no final status after this long is looked up at Exotel, then failed'
  }),
  CALLING_HOURS: Type.String({
    default: '09:00-21:00',
    pattern: '^\\d{2}:\\d{2}-\\d{2}:\\d{2}(,\\d{2}:\\d{2}-\\d{2}:\\d{2})*$',
    description: "Batches' default calling window: local HH:MM-HH:MM ranges, comma-separated"
  }),
  CALLING_DAYS: Type.String({ default: 'mon-sun', description: "Batches' default calling days: mon-fri, sat,sun, ..." }),
  CALLING_TIMEZONE: Type.String({ default: 'Asia/Kolkata', description: "Batches' default calling window's IANA timezone" }),
  ATTEMPT_CAP: Type.Integer({
    default: 3, minimum: 0, description: 'Most calls dialled to one customer in ATTEMPT_CAP_HOURS, over every batch (0: no cap)'
  }),
  ATTEMPT_CAP_HOURS: Type.Integer({ default: 24, minimum: 1, description: 'The period of ATTEMPT_CAP' }),
  RECONCILE_AFTER_SECONDS: Type.Integer({
    default: 600, minimum: 1, description: "A call with no news this long is looked up in Exotel's Call Details API"
  }),
  PRIORITY_LINES: Type.Integer({
    default: 1, minimum: 0, description: 'Lines of MAX_CONCURRENT_CALLS that batches leave free for single calls'
  }),
  EVENTS_HEARTBEAT_SECONDS: Type.Integer({
    default: 15, minimum: 1, description: 'How often GET /api/events sends a comment line, so proxies keep the stream open'
  }),
  TRANSCRIPT_RETENTION_DAYS: Type.Integer({
    default: 0,
    minimum: 0,
    maximum: 36_500,
    description: 'Transcripts of calls that ended longer ago than this are emptied (outcomes stay); 0: kept until the customer is deleted'
  }),
  RECORDINGS: StringEnum(['on', 'off'], {
    default: 'on', description: 'Record each live call from its media stream (a stereo WAV: the customer left, the assistant right)'
  }),
  RECORDING_RETENTION_DAYS: Type.Integer({
    default: 0, minimum: 0, maximum: 36_500, description: 'Recordings older than this are deleted; 0: kept until the customer is deleted'
  }),
  RECORDINGS_S3_BUCKET: Optional('Keep recordings in this S3 (or S3-compatible) bucket rather than in DATA_DIR/recordings'),
  RECORDINGS_S3_PREFIX: Type.String({ default: 'recordings/', description: 'Key prefix of the recordings in the bucket' }),
  RECORDINGS_S3_REGION: Type.String({ default: 'ap-south-1', minLength: 1, description: 'The bucket\'s region' }),
  RECORDINGS_S3_ENDPOINT: Optional('An S3-compatible service\'s URL (MinIO, R2, ...); unset: Amazon S3. Credentials: the AWS SDK\'s usual chain (AWS_ACCESS_KEY_ID, ...)'),
  RECORDINGS_S3_ACCESS_KEY_ID: Optional('Keys of the S3-compatible service; unset: the AWS SDK\'s usual chain'),
  RECORDINGS_S3_SECRET_ACCESS_KEY: Optional('Secret of RECORDINGS_S3_ACCESS_KEY_ID'),
  EXOTEL_RECORD: Type.Boolean({
    default: false, description: 'Ask Exotel to record each call too (both channels); its RecordingUrl is kept on the call'
  }),
  WEBHOOK_TIMEOUT_SECONDS: Type.Integer({
    default: 10, minimum: 1, maximum: 60, description: 'Longest wait for a webhook endpoint\'s answer; no answer is a failed attempt'
  }),
  SIGNUP_MODE: Type.Optional(Type.Unsafe<'open' | 'domains' | 'invite'>({
    type: 'string',
    enum: ['open', 'domains', 'invite'],
    description: 'Who may sign up: anyone (open), emails of ALLOWED_EMAIL_DOMAINS (domains), or nobody: ' +
      'administrators invite people (invite). Default: invite in production, open otherwise'
  })),
  ALLOWED_EMAIL_DOMAINS: Optional('With SIGNUP_MODE=domains: the email domains that may sign up, comma-separated (example.com,example.in)'),
  ADMIN_EMAILS: Optional('Emails made administrators when they first sign in, comma-separated (besides the first person ' +
    'to sign in to an empty deployment)'),
  SIGNUP_ROLE: StringEnum(['viewer', 'operator'] as const, {
    default: 'viewer',
    description: 'The role of people who sign up themselves, until an administrator changes it'
  }),
  COGNITO_PROGRAM_CLIENT_IDS: Optional('App clients of programs (client-credentials grant) whose access tokens the API ' +
    'accepts, comma-separated'),
  COGNITO_RESOURCE_SERVER: Type.String({
    default: 'voice-call-manager',
    minLength: 1,
    description: 'The identifier of the Cognito resource server whose scopes programs hold: <it>/read, /write, /admin'
  }),
  COGNITO_USER_POOL_ID: Optional('Cognito user pool id; when unset (and not in production), a local Cognito emulator is used'),
  COGNITO_ENDPOINT: Optional('Cognito API endpoint, for a Cognito-compatible server (e.g. a shared emulator); default: AWS'),
  COGNITO_CLIENT_ID: Optional('Cognito app client id'),
  COGNITO_CLIENT_SECRET: Optional('Cognito app client secret, for confidential clients only'),
  AWS_REGION: Optional('AWS region of the user pool')
})

export type Config = Static<typeof Config>
