-- The live part of a call: the voice assistant's conversation on the media stream.
CREATE TABLE call_conversation (
  call_id uuid PRIMARY KEY REFERENCES call (id) ON DELETE CASCADE,
  assistant text NOT NULL,
  stream_sid text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  ended_at timestamptz,
  stop_reason text,
  -- Keys pressed, in order.
  dtmf text NOT NULL DEFAULT '',
  -- [{speaker: 'assistant' | 'caller', text, at}], appended line by line as the call goes on.
  transcript jsonb NOT NULL DEFAULT '[]',
  barge_ins integer NOT NULL DEFAULT 0,
  outcome text,
  outcome_detail jsonb,
  problem text
);
