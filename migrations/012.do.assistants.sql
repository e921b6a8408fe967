-- Voice assistants as data: each change makes a new, immutable version; the assistant row points at its latest.
-- Archiving hides an assistant from new campaigns; its versions stay readable (calls refer to them).
CREATE TABLE assistant (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('scripted', 'openai')),
  version integer NOT NULL DEFAULT 1,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  archived_at timestamptz
);
CREATE INDEX assistant_listed ON assistant (created_at DESC, id) WHERE archived_at IS NULL;

CREATE TABLE assistant_version (
  assistant_id uuid NOT NULL REFERENCES assistant (id),
  version integer NOT NULL,
  name text NOT NULL,
  config jsonb NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (assistant_id, version)
);
