-- A call's recording, made by the server from the media stream (a stereo WAV: the customer left, the assistant right):
-- kept in a folder or in S3-compatible object storage, under `key`. Unfinished while the call goes on.
CREATE TABLE call_recording (
  call_id uuid PRIMARY KEY REFERENCES call (id) ON DELETE CASCADE,
  storage text NOT NULL CHECK (storage IN ('folder', 's3')),
  key text NOT NULL,
  sample_rate integer NOT NULL,
  -- When the stream started: the transcript's lines are placed in the recording by their time after it.
  started_at timestamptz NOT NULL,
  bytes bigint,
  duration_ms integer,
  finished_at timestamptz
);
-- Retention finds the oldest.
CREATE INDEX call_recording_started ON call_recording (started_at);
