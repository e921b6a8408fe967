-- Who did what: append-only. Summaries name customers by their id, never by name or number, so erasing a customer
-- leaves nothing of them here.
CREATE TABLE audit_event (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  -- A person's Cognito sub, or a program's app client id.
  actor text NOT NULL,
  actor_kind text NOT NULL CHECK (actor_kind IN ('person', 'program')),
  address text,
  action text NOT NULL,
  target_type text,
  target_id text,
  summary text NOT NULL
);
CREATE INDEX audit_event_at ON audit_event (at DESC, id DESC);
CREATE INDEX audit_event_target ON audit_event (target_type, target_id);

CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit trail is append-only';
END
$$;
CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event
  FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
  FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();
