-- Exports read a campaign's calls a page at a time by key: by customer (a row a customer) or by time (a row a call).
CREATE INDEX call_batch_customer ON call (batch_id, customer_id, created_at DESC) WHERE batch_id IS NOT NULL;
CREATE INDEX call_batch_created ON call (batch_id, created_at, id) WHERE batch_id IS NOT NULL;
