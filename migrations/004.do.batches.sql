-- Bulk campaigns: a batch of calls queued together and dialled by the dispatcher.
CREATE TABLE call_batch (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  created_by text NOT NULL,
  total integer NOT NULL DEFAULT 0,
  canceled_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- The queue is the call table itself: a queued batch call is claimed (claimed_at) by the dispatcher just before it
-- is dialled, no earlier than not_before (a retry waits). A claimed call is never claimed again.
ALTER TABLE call ADD COLUMN claimed_at timestamptz;
ALTER TABLE call ADD COLUMN not_before timestamptz NOT NULL DEFAULT now();
CREATE INDEX call_waiting ON call (not_before, created_at) WHERE status = 'queued' AND claimed_at IS NULL;
