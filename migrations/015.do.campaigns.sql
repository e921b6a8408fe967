-- The batch grows up into a campaign: named, kept as a draft until started, paused and resumed, with its own
-- selection and rules. Calls keep naming theirs by batch_id (the API's word since the first bulk call).
ALTER TABLE call_batch RENAME TO campaign;
ALTER TABLE campaign ADD COLUMN name text;
UPDATE campaign SET name = 'Calls of ' || to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC';
ALTER TABLE campaign ALTER COLUMN name SET NOT NULL;
-- Who it calls: {"customer_ids": [...]} or {"filter": {...}} (null for batches from before campaigns).
ALTER TABLE campaign ADD COLUMN selection jsonb;
-- Its retry and follow-up rules ({"retry": {...}, "follow_up": {...}, "skip_final_within_days": n}).
ALTER TABLE campaign ADD COLUMN rules jsonb;
-- Batches from before campaigns kept the defaults of CALL_RETRIES and CALL_RETRY_DELAY_SECONDS.
UPDATE campaign SET rules = '{"retry": {"on": ["busy", "no-answer"], "retries": 2, "delay_seconds": 300},
  "follow_up": {"delay_seconds": 7200, "max": 0}, "skip_final_within_days": 0}';
ALTER TABLE campaign ALTER COLUMN rules SET NOT NULL;
-- A draft has not started; a paused campaign dials nobody until resumed.
ALTER TABLE campaign ADD COLUMN started_at timestamptz;
UPDATE campaign SET started_at = created_at;
ALTER TABLE campaign ADD COLUMN paused_at timestamptz;
ALTER TABLE campaign ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX campaign_created_at ON campaign (created_at DESC, id);

-- Why a call was queued after the customer's first in its campaign: a retry (busy, no answer, failed, no
-- response) or a follow-up (an outcome such as a callback).
ALTER TABLE call ADD COLUMN follows text;
UPDATE call SET follows = 'retry' WHERE attempt > 1;
