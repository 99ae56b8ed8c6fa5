-- Signed push webhooks (Standard Webhooks): subscriptions, and one delivery per event per
-- subscription, delivered in event order per subscription with retries.

CREATE TABLE webhook_endpoints (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    url text NOT NULL CHECK (length(url) BETWEEN 8 AND 2048),
    description text CHECK (length(description) <= 500),
    -- Empty: every event type.
    event_types text[] NOT NULL DEFAULT '{}',
    status text NOT NULL CHECK (status IN ('enabled', 'disabled', 'failing')),
    disabled_reason text,
    -- `whsec_` + base64 of the key; kept to sign deliveries (a hash would not do).
    secret text NOT NULL,
    -- After a rotation the old secret signs too, until it expires.
    previous_secret text,
    previous_secret_expires_at timestamptz,
    -- The last event sequence fanned out to this endpoint (events numbered later are new).
    cursor_sequence bigint NOT NULL,
    -- Held by the instance delivering to this endpoint, so two never deliver at once: renewed
    -- before every attempt, and given back only by its holder.
    lease_owner uuid,
    lease_until timestamptz,
    created_by uuid REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1
);
CREATE INDEX webhook_endpoints_created_at_idx ON webhook_endpoints (created_at, id);
CREATE INDEX webhook_endpoints_created_by_idx ON webhook_endpoints (created_by);

CREATE TABLE webhook_deliveries (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    -- The message id (`webhook-id`): the event's id, the same on retries and replays.
    message_id uuid NOT NULL,
    event_sequence bigint,
    event_type text NOT NULL,
    payload jsonb NOT NULL,
    status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    first_attempt_at timestamptz,
    last_attempt_at timestamptz,
    last_response_status integer,
    last_response_ms integer,
    last_error text,
    delivered_at timestamptz,
    replay_of uuid REFERENCES webhook_deliveries (id),
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- Fan-out creates each (endpoint, event) once, whichever instance does it.
CREATE UNIQUE INDEX webhook_deliveries_fanout_key ON webhook_deliveries (endpoint_id, message_id) WHERE replay_of IS NULL;
CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (endpoint_id, created_at, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, created_at, id);
CREATE INDEX webhook_deliveries_replay_of_idx ON webhook_deliveries (replay_of);
