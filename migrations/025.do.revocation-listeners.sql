-- Instances that keep the revocation list in memory on a shared PostgreSQL server: each renews its lease while its
-- LISTEN session hears its own heartbeats, and a logout waits for every live lease-holder to say it heard the
-- revocation (or for its lease to run out), so a logged-out token is refused by the next request on every instance.
CREATE TABLE revocation_listener (
  instance text PRIMARY KEY,
  alive_until timestamptz NOT NULL
);
