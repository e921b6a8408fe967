-- A campaign that paused itself (its dials failing in a burst, or Exotel refusing the account) says why; an
-- operator's pause has no reason. Resuming clears it, and only dials after the resume count towards the next.
ALTER TABLE campaign ADD COLUMN paused_reason text;
ALTER TABLE campaign ADD COLUMN resumed_at timestamptz;
-- Campaigns' recent dials, counted every second by the dispatcher's upkeep.
CREATE INDEX call_campaign_claimed ON call (claimed_at) WHERE batch_id IS NOT NULL;
