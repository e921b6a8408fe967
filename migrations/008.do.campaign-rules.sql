-- Numbers never to call (E.164), whoever's customer they are: checked when a batch is queued and again right
-- before every dial and retry.
CREATE TABLE suppression (
  phone text PRIMARY KEY,
  reason text,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX suppression_created_at ON suppression (created_at DESC, phone);

-- Why a call was never dialled: suppressed, attempt-cap, outside-window or canceled (its status is canceled).
ALTER TABLE call ADD COLUMN skip_reason text;

-- A batch's schedule: dialled from start_at, only inside its calling window ({timezone, days, hours}), and any
-- call not dialled by end_at is skipped.
ALTER TABLE call_batch ADD COLUMN start_at timestamptz;
ALTER TABLE call_batch ADD COLUMN end_at timestamptz;
ALTER TABLE call_batch ADD COLUMN calling_window jsonb;
-- Batches from before schedules could be called at any hour.
UPDATE call_batch SET calling_window =
  '{"timezone": "UTC", "days": ["sun", "mon", "tue", "wed", "thu", "fri", "sat"], "hours": ["00:00-24:00"]}';
ALTER TABLE call_batch ALTER COLUMN calling_window SET NOT NULL;

-- Attempts per customer in a period (the attempt cap).
CREATE INDEX call_customer_dialled ON call (customer_id, dialled_at) WHERE dialled_at IS NOT NULL;
