-- Who uploaded which customer file, when, and what came of it.
CREATE TABLE customer_upload (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_sub text NOT NULL,
  file_name text NOT NULL,
  format text NOT NULL,
  status text NOT NULL CHECK (status IN ('processing', 'completed', 'failed')),
  total integer NOT NULL DEFAULT 0,
  inserted integer NOT NULL DEFAULT 0,
  updated integer NOT NULL DEFAULT 0,
  rejected integer NOT NULL DEFAULT 0,
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX customer_upload_created_at ON customer_upload (created_at DESC, id);

-- The people to call. `id` is the file's customer id, or one made up for rows without one; `seq` keeps the order
-- customers were first uploaded in, for stable paging. Every column of the file we do not know is an attribute
-- the voice assistant can use (amount due, due date, ...).
CREATE TABLE customer (
  id text PRIMARY KEY,
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  name text,
  phone text NOT NULL,
  email text,
  language text,
  attributes jsonb NOT NULL DEFAULT '{}',
  last_call_status text,
  last_call_at timestamptz,
  -- The upload that last wrote the row. No foreign key: checking one per row slowed imports by a fifth.
  upload_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customer_phone ON customer (phone);
