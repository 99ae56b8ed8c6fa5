-- After-sales: customer returns (stock back at its shipped cost, credit for what was billed)
-- and service cases with SLA policies and satisfaction ratings.
--
-- Invariants (checked by the tests):
--   0 <= sales_order_lines.returned_quantity <= shipped_quantity
--   0 <= returned_uninvoiced_quantity <= returned_quantity (what was returned before it was billed)
--   Σ return_lines.quantity of an order line = its returned_quantity

-- A restocked return comes back through its own movement kind.
ALTER TABLE stock_movements DROP CONSTRAINT stock_movements_kind_check;
ALTER TABLE stock_movements ADD CONSTRAINT stock_movements_kind_check
    CHECK (kind IN ('receipt', 'shipment', 'adjustment', 'transfer_in', 'transfer_out', 'return'));

-- The last guard behind the 409 over_return: never more back than went out.
ALTER TABLE sales_order_lines
    ADD COLUMN returned_quantity numeric(18, 3) NOT NULL DEFAULT 0,
    ADD COLUMN returned_uninvoiced_quantity numeric(18, 3) NOT NULL DEFAULT 0,
    ADD CONSTRAINT sales_order_lines_returned_check CHECK (returned_quantity >= 0 AND returned_quantity <= shipped_quantity),
    ADD CONSTRAINT sales_order_lines_returned_uninvoiced_check
        CHECK (returned_uninvoiced_quantity >= 0 AND returned_uninvoiced_quantity <= returned_quantity);

-- A credit note for more than its invoice's balance (goods returned after payment): the
-- invoice takes its balance, the rest is credit on the customer like an unapplied payment.
ALTER TABLE credit_notes ADD COLUMN unapplied_amount bigint NOT NULL DEFAULT 0
    CHECK (unapplied_amount >= 0 AND unapplied_amount <= amount);

CREATE TABLE sla_policies (
    priority text PRIMARY KEY CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    first_response_minutes integer NOT NULL CHECK (first_response_minutes BETWEEN 1 AND 5256000),
    resolution_minutes integer NOT NULL CHECK (resolution_minutes BETWEEN 1 AND 5256000),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1
);

CREATE SEQUENCE service_case_number_seq;
CREATE TABLE service_cases (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    number text NOT NULL DEFAULT document_number('CASE', nextval('service_case_number_seq')),
    customer_id uuid NOT NULL REFERENCES customers (id),
    contact_id uuid REFERENCES customer_contacts (id),
    sales_order_id uuid REFERENCES sales_orders (id),
    item_id uuid REFERENCES items (id),
    type text NOT NULL CHECK (type IN ('complaint', 'question', 'repair', 'return_request')),
    priority text NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    status text NOT NULL DEFAULT 'new'
        CHECK (status IN ('new', 'in_progress', 'waiting_customer', 'resolved', 'closed')),
    subject text NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
    description text CHECK (length(description) <= 10000),
    owner_id uuid REFERENCES users (id),
    team_id uuid REFERENCES teams (id),
    reported_at timestamptz NOT NULL,
    -- From the priority's SLA policy when the case was reported (null without one). The
    -- resolution deadline moves later by every stretch spent waiting on the customer.
    first_response_due_at timestamptz,
    resolution_due_at timestamptz,
    first_response_at timestamptz,
    -- Since when the resolution clock stands still (waiting on the customer, or resolved), or
    -- null; and how long it stood still before (the resolution deadline is that much later).
    paused_at timestamptz,
    waited interval NOT NULL DEFAULT '0',
    resolved_at timestamptz,
    closed_at timestamptz,
    rating smallint CHECK (rating BETWEEN 1 AND 5),
    rating_comment text CHECK (length(rating_comment) <= 2000),
    rated_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX service_cases_number_key ON service_cases (number);
CREATE INDEX service_cases_created_at_idx ON service_cases (created_at, id);
CREATE INDEX service_cases_customer_id_idx ON service_cases (customer_id, status);
CREATE INDEX service_cases_contact_id_idx ON service_cases (contact_id);
CREATE INDEX service_cases_sales_order_id_idx ON service_cases (sales_order_id);
CREATE INDEX service_cases_item_id_idx ON service_cases (item_id);
CREATE INDEX service_cases_owner_id_idx ON service_cases (owner_id);
CREATE INDEX service_cases_team_id_idx ON service_cases (team_id);
CREATE INDEX service_cases_reported_at_idx ON service_cases (reported_at);

-- Activities may be logged on a case; the first one is the case's first response, stamped in
-- the activity's own transaction (CRM sits below Service and does not know cases).
ALTER TABLE activities ADD COLUMN case_id uuid REFERENCES service_cases (id);
CREATE INDEX activities_case_id_idx ON activities (case_id);
CREATE FUNCTION service_case_first_response() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE service_cases SET first_response_at = NEW.created_at, updated_at = now(), version = version + 1
    WHERE id = NEW.case_id AND first_response_at IS NULL;
    RETURN NEW;
END $$;
CREATE TRIGGER activities_case_first_response AFTER INSERT OR UPDATE OF case_id ON activities
    FOR EACH ROW WHEN (NEW.case_id IS NOT NULL) EXECUTE FUNCTION service_case_first_response();

-- Open cases past a deadline are an alert kind of their own.
INSERT INTO alert_rules (kind, threshold) VALUES ('case_sla_breached', NULL);

CREATE SEQUENCE return_number_seq;
CREATE TABLE returns (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    number text NOT NULL DEFAULT document_number('RMA', nextval('return_number_seq')),
    sales_order_id uuid NOT NULL REFERENCES sales_orders (id),
    customer_id uuid NOT NULL REFERENCES customers (id),
    case_id uuid REFERENCES service_cases (id),
    warehouse_id uuid REFERENCES warehouses (id),
    restock boolean NOT NULL,
    reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    -- Σ of the lines' revenue (net, before tax, in `currency`) and cost (default currency).
    revenue bigint NOT NULL CHECK (revenue >= 0),
    cost bigint NOT NULL CHECK (cost >= 0),
    -- Σ of the credit notes made for the billed part, tax included.
    credited_amount bigint NOT NULL DEFAULT 0 CHECK (credited_amount >= 0),
    created_by uuid REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX returns_number_key ON returns (number);
CREATE INDEX returns_created_at_idx ON returns (created_at, id);
CREATE INDEX returns_sales_order_id_idx ON returns (sales_order_id);
CREATE INDEX returns_customer_id_idx ON returns (customer_id);
CREATE INDEX returns_case_id_idx ON returns (case_id);
CREATE INDEX returns_warehouse_id_idx ON returns (warehouse_id);
CREATE INDEX returns_created_by_idx ON returns (created_by);

CREATE TABLE return_lines (
    return_id uuid NOT NULL REFERENCES returns (id) ON DELETE CASCADE,
    line_no integer NOT NULL CHECK (line_no >= 1),
    -- Copied from the return, so the margin report reads one table in one range scan.
    sales_order_id uuid NOT NULL REFERENCES sales_orders (id),
    sales_order_line_no integer NOT NULL,
    item_id uuid REFERENCES items (id),
    currency text NOT NULL,
    returned_at timestamptz NOT NULL,
    quantity numeric(18, 3) NOT NULL CHECK (quantity > 0),
    -- What the goods shipped at per unit (default currency), and quantity × it, half-even.
    unit_cost bigint NOT NULL CHECK (unit_cost >= 0),
    cost bigint NOT NULL CHECK (cost >= 0),
    -- quantity × the order line's net unit price, half-even, in `currency`.
    revenue bigint NOT NULL CHECK (revenue >= 0),
    -- The part that was billed (credited) and the part that was not (taken off what is left to bill).
    credited_quantity numeric(18, 3) NOT NULL CHECK (credited_quantity >= 0),
    uninvoiced_quantity numeric(18, 3) NOT NULL CHECK (uninvoiced_quantity >= 0),
    invoice_id uuid REFERENCES invoices (id),
    credit_note_id uuid REFERENCES credit_notes (id),
    movement_id uuid REFERENCES stock_movements (id),
    PRIMARY KEY (return_id, line_no),
    CHECK (credited_quantity + uninvoiced_quantity = quantity)
);
CREATE INDEX return_lines_sales_order_id_idx ON return_lines (sales_order_id, sales_order_line_no);
CREATE INDEX return_lines_item_id_idx ON return_lines (item_id);
CREATE INDEX return_lines_invoice_id_idx ON return_lines (invoice_id);
CREATE INDEX return_lines_credit_note_id_idx ON return_lines (credit_note_id);
CREATE INDEX return_lines_movement_id_idx ON return_lines (movement_id);
CREATE INDEX return_lines_returned_at_idx ON return_lines (returned_at);
