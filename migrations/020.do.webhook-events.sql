-- When a call's end was reported (call.completed written to the outbox): once, when both its status is final and
-- its conversation, if it had one, has ended. Calls that ended before this migration count as reported.
ALTER TABLE call ADD COLUMN reported_at timestamptz;
UPDATE call SET reported_at = coalesce(ended_at, updated_at)
WHERE status IN ('completed', 'busy', 'no-answer', 'failed', 'canceled');

-- Conversations whose stream never said it stopped (the server died mid-call) are closed by the upkeep.
CREATE INDEX call_conversation_open ON call_conversation (started_at) WHERE ended_at IS NULL;

-- A campaign's end (its last call done, or canceled), reported once as campaign.finished. No foreign key: it is written
-- beside calls' changes that must not wait on the campaign's row.
CREATE TABLE campaign_end (
  campaign_id uuid PRIMARY KEY,
  status text NOT NULL CHECK (status IN ('finished', 'canceled')),
  at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO campaign_end (campaign_id, status, at)
SELECT id, CASE WHEN canceled_at IS NULL THEN 'finished' ELSE 'canceled' END, coalesce(canceled_at, updated_at) FROM campaign
WHERE canceled_at IS NOT NULL
   OR (started_at IS NOT NULL AND NOT EXISTS (
     SELECT 1 FROM call WHERE call.batch_id = campaign.id AND call.status IN ('queued', 'initiated', 'ringing', 'in-progress')));

-- A campaign has ended when none of its calls is left unreported: found by this index, which holds only those.
CREATE INDEX call_batch_unreported ON call (batch_id) WHERE reported_at IS NULL AND batch_id IS NOT NULL;
