-- Every call placed to a customer, and what happened to it.
CREATE TABLE call (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- No foreign key: a call's history outlives its customer. Phone and name are kept as they were when dialled.
  customer_id text NOT NULL,
  customer_name text,
  phone text NOT NULL,
  batch_id uuid,
  attempt integer NOT NULL DEFAULT 1,
  status text NOT NULL,
  triggered_by text NOT NULL,
  exotel_sid text UNIQUE,
  error text,
  answered_by text,
  duration_seconds integer,
  recording_url text,
  created_at timestamptz NOT NULL DEFAULT now(),
  dialled_at timestamptz,
  answered_at timestamptz,
  ended_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX call_customer ON call (customer_id, created_at DESC);
CREATE INDEX call_batch_id ON call (batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX call_created_at ON call (created_at DESC, id);
-- One live call per customer at a time, whichever instance or request starts it.
CREATE UNIQUE INDEX call_one_live_per_customer ON call (customer_id)
  WHERE status IN ('queued', 'initiated', 'ringing', 'in-progress');

-- A call's timeline: each status change or report, once (a repeated callback has the same dedupe_key).
CREATE TABLE call_event (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  call_id uuid NOT NULL REFERENCES call (id) ON DELETE CASCADE,
  status text NOT NULL,
  source text NOT NULL,
  dedupe_key text NOT NULL,
  detail jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (call_id, dedupe_key)
);
