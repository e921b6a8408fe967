-- The assistant a call or a batch uses, pinned at its version: a transcript is read against the script that made it.
-- No foreign key on call: a call's history outlives what it refers to, as with customers.
ALTER TABLE call ADD COLUMN assistant_id uuid, ADD COLUMN assistant_version integer;
ALTER TABLE call_batch ADD COLUMN assistant_id uuid, ADD COLUMN assistant_version integer;

-- The one assistant used by calls that name none.
ALTER TABLE assistant ADD COLUMN is_default boolean NOT NULL DEFAULT false;
CREATE UNIQUE INDEX assistant_one_default ON assistant (is_default) WHERE is_default;

-- The columns each upload had besides the known ones (as headers): the fields an assistant's templates may name.
ALTER TABLE customer_upload ADD COLUMN columns text[] NOT NULL DEFAULT '{}';
UPDATE customer_upload SET columns = coalesce((
  SELECT array_agg(DISTINCT key) FROM customer, jsonb_object_keys(customer.attributes) AS key
  WHERE customer.upload_id = customer_upload.id), '{}');
