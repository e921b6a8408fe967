-- Endpoints of the customer's systems that hear of events, signed as Standard Webhooks says.
CREATE TABLE webhook (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  url text NOT NULL,
  events text[] NOT NULL,
  description text,
  -- whsec_<base64>: shown once, when made or rotated.
  secret text NOT NULL,
  -- After a rotation the old secret signs too until previous_secret_until, so receivers can switch without a gap.
  previous_secret text,
  previous_secret_until timestamptz,
  enabled boolean NOT NULL DEFAULT true,
  -- Why it was switched off (failing for a day), for the operator.
  disabled_reason text,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The outbox: a delivery is written in the same transaction as the change it reports, then sent at least once.
-- Its id is the webhook-id every attempt carries, so a receiver can drop repeats.
CREATE TABLE webhook_delivery (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  webhook_id uuid NOT NULL REFERENCES webhook (id) ON DELETE CASCADE,
  event text NOT NULL,
  payload jsonb NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz
);
CREATE INDEX webhook_delivery_due ON webhook_delivery (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_delivery_of ON webhook_delivery (webhook_id, created_at DESC);

-- Each attempt: when, what the endpoint answered (or why nothing came), how long it took.
CREATE TABLE webhook_attempt (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  delivery_id uuid NOT NULL REFERENCES webhook_delivery (id) ON DELETE CASCADE,
  at timestamptz NOT NULL,
  status_code integer,
  error text,
  latency_ms integer NOT NULL
);
CREATE INDEX webhook_attempt_of ON webhook_attempt (delivery_id, id);
