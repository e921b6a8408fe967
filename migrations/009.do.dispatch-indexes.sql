-- What the dispatcher reads every round, by index rather than by reading the whole call table (which keeps every
-- call ever made): the calls in flight, those being dialled, those claimed in the last minute, and each batch's
-- waiting calls in the order they are due (for the fair share between batches).
CREATE INDEX call_in_flight ON call (batch_id) WHERE status IN ('initiated', 'ringing', 'in-progress');
CREATE INDEX call_dialling ON call (batch_id) WHERE status = 'queued' AND claimed_at IS NOT NULL;
CREATE INDEX call_claimed_at ON call (claimed_at) WHERE claimed_at IS NOT NULL;
CREATE INDEX call_batch_waiting ON call (batch_id, not_before, created_at) WHERE status = 'queued' AND claimed_at IS NULL;
