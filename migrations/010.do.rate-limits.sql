-- Request counts of the sign-in and code routes (per client address, per email), shared by every instance so that
-- running more instances does not multiply the attempts allowed. A row is one key's current window.
CREATE TABLE rate_limit (
  key text PRIMARY KEY,
  count integer NOT NULL,
  window_ends timestamptz NOT NULL
);
CREATE INDEX rate_limit_window_ends ON rate_limit (window_ends);
