-- Idempotency-Key headers of the requests that start calls: the first answer, replayed to a repeat of the request.
-- A key belongs to one user and one route; rows older than 24 hours are purged.
CREATE TABLE idempotency_key (
  owner text NOT NULL,
  route text NOT NULL,
  key text NOT NULL,
  -- sha256 of the request body: the same key with another body is refused.
  request_hash text NOT NULL,
  -- Null while the first request is being handled.
  status_code integer,
  response text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (owner, route, key)
);
CREATE INDEX idempotency_key_created_at ON idempotency_key (created_at);
