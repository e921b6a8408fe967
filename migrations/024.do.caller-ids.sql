-- The ExoPhone each call was placed from (EXOTEL_CALLER_IDS): a customer called again sees the same number, and
-- each number's dials, answers and failures are counted.
ALTER TABLE call ADD COLUMN caller_id text;
CREATE INDEX call_caller_id ON call (caller_id, created_at) WHERE caller_id IS NOT NULL;
