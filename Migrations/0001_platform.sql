-- Users, API keys, idempotency records and the event outbox: what every module stands on.

CREATE TABLE users (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    email text NOT NULL CHECK (length(email) BETWEEN 3 AND 320),
    role text NOT NULL CHECK (role IN ('admin', 'sales', 'warehouse', 'finance', 'readonly')),
    active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_created_at_id_idx ON users (created_at, id);

-- A key is `ck_<prefix>_<secret>`; only SHA-256 of the secret is kept.
CREATE TABLE api_keys (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL REFERENCES users (id),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    prefix text NOT NULL,
    secret_hash bytea NOT NULL,
    last_used_at timestamptz,
    revoked_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX api_keys_prefix_key ON api_keys (prefix);
CREATE INDEX api_keys_user_id_idx ON api_keys (user_id);
CREATE INDEX api_keys_created_at_id_idx ON api_keys (created_at, id);

-- One row per (API key, Idempotency-Key). `running` while the first request is in flight;
-- `done` with the stored answer. Rows older than 24 hours are reaped.
CREATE TABLE idempotency_keys (
    api_key_id uuid NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    key text NOT NULL,
    request_hash bytea NOT NULL,
    state text NOT NULL CHECK (state IN ('running', 'done')),
    response_status integer,
    response_headers jsonb,
    response_body bytea,
    claimed_at timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (api_key_id, key)
);
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);

-- The outbox. `sequence` is assigned after commit, in commit order, by the publisher: a row
-- is numbered only once every transaction older than the oldest running one has ended, so a
-- reader polling `after=N` can never miss an event that committed late.
CREATE SEQUENCE events_sequence_seq;
CREATE TABLE events (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    sequence bigint UNIQUE,
    xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    type text NOT NULL,
    resource_type text NOT NULL,
    resource_id uuid NOT NULL,
    actor_user_id uuid,
    actor_api_key_id uuid,
    data jsonb NOT NULL,
    occurred_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX events_unpublished_idx ON events (xid) WHERE sequence IS NULL;
CREATE INDEX events_resource_idx ON events (resource_type, resource_id, occurred_at);
CREATE INDEX events_occurred_at_idx ON events (occurred_at);
CREATE INDEX events_actor_user_id_idx ON events (actor_user_id);
