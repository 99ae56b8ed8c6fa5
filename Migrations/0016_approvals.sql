-- Approvals: purchase orders, sales orders and supplier bills that need a second person before
-- they bind the company. Rules say which documents need whom; an approval is one document's
-- request, with its steps and the decisions taken on them.

-- A document waiting for its approval is `pending_approval`: nothing is ordered, reserved or
-- posted yet, and it is frozen until the decision.
ALTER TABLE purchase_orders DROP CONSTRAINT purchase_orders_status_check;
ALTER TABLE purchase_orders ADD CONSTRAINT purchase_orders_status_check
    CHECK (status IN ('draft', 'pending_approval', 'ordered', 'partially_received', 'received', 'cancelled'));
ALTER TABLE sales_orders DROP CONSTRAINT sales_orders_status_check;
ALTER TABLE sales_orders ADD CONSTRAINT sales_orders_status_check
    CHECK (status IN ('draft', 'pending_approval', 'confirmed', 'partially_shipped', 'shipped', 'cancelled', 'closed'));
ALTER TABLE supplier_bills DROP CONSTRAINT supplier_bills_status_check;
ALTER TABLE supplier_bills ADD CONSTRAINT supplier_bills_status_check
    CHECK (status IN ('draft', 'pending_approval', 'posted', 'partially_paid', 'paid', 'void'));

-- Rules apply in creation order: their steps are merged in that order, duplicates removed.
CREATE TABLE approval_rules (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    document text NOT NULL CHECK (document IN ('purchase_order', 'sales_order', 'supplier_bill')),
    condition_type text NOT NULL
        CHECK (condition_type IN ('total_at_least', 'line_discount_above', 'margin_below', 'credit_override')),
    amount bigint CHECK (amount BETWEEN 0 AND 9007199254740991),
    currency text CHECK (currency ~ '^[A-Z]{3}$'),
    percent numeric(18, 3) CHECK (percent BETWEEN 0 AND 100),
    -- [{"role": "admin"} | {"user_id": "…"}], in order.
    steps jsonb NOT NULL CHECK (jsonb_typeof(steps) = 'array' AND jsonb_array_length(steps) BETWEEN 1 AND 10),
    -- Hours an approval may wait before an alert opens (NULL: never).
    alert_after_hours integer CHECK (alert_after_hours BETWEEN 1 AND 8760),
    active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    CHECK (condition_type <> 'total_at_least' OR (amount IS NOT NULL AND currency IS NOT NULL)),
    CHECK (condition_type NOT IN ('line_discount_above', 'margin_below') OR percent IS NOT NULL)
);
CREATE INDEX approval_rules_document_idx ON approval_rules (document, created_at, id) WHERE active;
CREATE INDEX approval_rules_created_at_idx ON approval_rules (created_at, id);

CREATE SEQUENCE approval_number_seq;
CREATE TABLE approvals (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    number text NOT NULL DEFAULT document_number('APR', nextval('approval_number_seq')),
    -- The document held back (no foreign key: three tables; the document never goes away, since
    -- documents are cancelled or voided, not deleted).
    document_type text NOT NULL CHECK (document_type IN ('purchase_order', 'sales_order', 'supplier_bill')),
    document_id uuid NOT NULL,
    document_number text NOT NULL,
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    total bigint NOT NULL CHECK (total BETWEEN 0 AND 9007199254740991),
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'withdrawn')),
    requested_by uuid NOT NULL REFERENCES users (id),
    rule_ids uuid[] NOT NULL,
    steps jsonb NOT NULL CHECK (jsonb_typeof(steps) = 'array' AND jsonb_array_length(steps) >= 1),
    -- 0-based index of the step waiting for a decision.
    current_step integer NOT NULL DEFAULT 0 CHECK (current_step >= 0),
    -- How the action was asked for (`override_credit_limit`, `accept_variance`), to run it alike.
    options jsonb NOT NULL DEFAULT '{}',
    alert_after_hours integer,
    reason text CHECK (length(reason) <= 2000),
    last_failure jsonb,
    decided_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX approvals_number_key ON approvals (number);
-- One live request per document.
CREATE UNIQUE INDEX approvals_pending_document_key ON approvals (document_type, document_id) WHERE status = 'pending';
CREATE INDEX approvals_document_idx ON approvals (document_id);
CREATE INDEX approvals_requested_by_idx ON approvals (requested_by);
CREATE INDEX approvals_created_at_idx ON approvals (created_at, id);
CREATE INDEX approvals_status_idx ON approvals (status, created_at, id);

-- One decision per step, and one step per person: the database enforces both, so two approvers
-- deciding at once cannot both win.
CREATE TABLE approval_decisions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    approval_id uuid NOT NULL REFERENCES approvals (id),
    step integer NOT NULL CHECK (step >= 0),
    decision text NOT NULL CHECK (decision IN ('approved', 'rejected')),
    user_id uuid NOT NULL REFERENCES users (id),
    comment text CHECK (length(comment) <= 2000),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (approval_id, step),
    UNIQUE (approval_id, user_id)
);
CREATE INDEX approval_decisions_user_id_idx ON approval_decisions (user_id);

-- An approval waiting longer than its rules' `alert_after_hours` opens an alert.
INSERT INTO alert_rules (kind, threshold) VALUES ('approval_waiting', NULL);
