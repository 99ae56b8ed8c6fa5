-- Alerts: conditions that need a person (stock below its reorder point, a late order, an
-- overdue invoice, …) as records with their own lifecycle, one rule per kind, and the state of
-- the scheduler every instance shares.

-- One rule per kind: whether it is evaluated and its threshold (days, or a percent for
-- credit_near_limit; NULL for kinds without one). The kinds are the product's, not data.
CREATE TABLE alert_rules (
    kind text PRIMARY KEY CHECK (kind ~ '^[a-z_]{1,64}$'),
    enabled boolean NOT NULL DEFAULT true,
    threshold integer CHECK (threshold BETWEEN 0 AND 365),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1
);
INSERT INTO alert_rules (kind, threshold) VALUES
    ('stock_below_reorder', NULL),
    ('purchase_order_late', 0),
    ('sales_order_late', 0),
    ('invoice_overdue', 0),
    ('credit_near_limit', 90),
    ('quotation_expiring', 7),
    ('activity_overdue', 0),
    ('webhook_failing', NULL);

CREATE TABLE alerts (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind text NOT NULL REFERENCES alert_rules (kind),
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged', 'resolved')),
    severity text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    -- What the alert is about: a record of another module (no foreign key: an alert outlives
    -- a deleted subject as history).
    subject_type text NOT NULL CHECK (length(subject_type) BETWEEN 1 AND 64),
    subject_id uuid NOT NULL,
    subject_number text,
    -- The subject's identity for "one live alert per (kind, subject)": its id, and for stock
    -- its item and warehouse.
    subject_key text NOT NULL CHECK (length(subject_key) BETWEEN 1 AND 200),
    warehouse_id uuid,
    -- The records the alert concerns, for filters and for scoping by the customer's owner.
    customer_id uuid,
    item_id uuid,
    supplier_id uuid,
    details jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(details) = 'object'),
    message text NOT NULL CHECK (length(message) BETWEEN 1 AND 1000),
    opened_at timestamptz NOT NULL DEFAULT now(),
    acknowledged_at timestamptz,
    acknowledged_by uuid REFERENCES users (id),
    acknowledgement_note text CHECK (length(acknowledgement_note) <= 2000),
    resolved_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    CHECK ((status = 'resolved') = (resolved_at IS NOT NULL))
);
-- At most one open-or-acknowledged alert per (kind, subject), whichever instance or
-- transaction opens it: openers insert with ON CONFLICT on this index.
CREATE UNIQUE INDEX alerts_live_subject_key ON alerts (kind, subject_key) WHERE status IN ('open', 'acknowledged');
CREATE INDEX alerts_opened_at_idx ON alerts (opened_at, id);
CREATE INDEX alerts_status_idx ON alerts (status, opened_at, id);
CREATE INDEX alerts_customer_id_idx ON alerts (customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX alerts_item_id_idx ON alerts (item_id) WHERE item_id IS NOT NULL;
CREATE INDEX alerts_supplier_id_idx ON alerts (supplier_id) WHERE supplier_id IS NOT NULL;
CREATE INDEX alerts_acknowledged_by_idx ON alerts (acknowledged_by) WHERE acknowledged_by IS NOT NULL;

-- The scheduler's shared state: one row, written by whichever instance ran the last tick.
CREATE TABLE alert_scheduler (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_tick_at timestamptz,
    last_tick_alerts_opened integer NOT NULL DEFAULT 0,
    last_tick_alerts_resolved integer NOT NULL DEFAULT 0
);
INSERT INTO alert_scheduler DEFAULT VALUES;
