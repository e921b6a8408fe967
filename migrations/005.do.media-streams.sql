-- Media tokens already used: a token opens one stream, once, on whichever instance (rows past expires_at are purged).
CREATE TABLE media_token_use (
  jti text PRIMARY KEY,
  expires_at timestamptz NOT NULL
);
