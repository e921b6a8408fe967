-- Access tokens refused before their expiry (logout). A JWT verifies locally until it expires, so every instance
-- checks this list; rows past expires_at are useless and are purged.
CREATE TABLE revoked_token (
  jti text PRIMARY KEY,
  expires_at timestamptz NOT NULL
);
CREATE INDEX revoked_token_expires_at ON revoked_token (expires_at);
