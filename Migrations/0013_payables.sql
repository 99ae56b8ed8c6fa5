-- Payables: supplier bills (from purchase orders, three-way matched, or by hand), supplier
-- payments with their allocations; purchase order lines count what is billed.

-- What bills (not void) claim of each line; never more than received (the last guard behind
-- the 409 over_billing), and the order's billing state.
ALTER TABLE purchase_order_lines ADD COLUMN billed_quantity numeric(18, 3) NOT NULL DEFAULT 0
    CHECK (billed_quantity >= 0 AND billed_quantity <= received_quantity);
ALTER TABLE purchase_orders ADD COLUMN bill_status text NOT NULL DEFAULT 'not_billed'
    CHECK (bill_status IN ('not_billed', 'partially_billed', 'billed'));

CREATE SEQUENCE supplier_bill_number_seq;
CREATE TABLE supplier_bills (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    number text NOT NULL DEFAULT document_number('BILL', nextval('supplier_bill_number_seq')),
    supplier_id uuid NOT NULL REFERENCES suppliers (id),
    purchase_order_id uuid REFERENCES purchase_orders (id),
    -- The supplier's own invoice number.
    supplier_reference text NOT NULL CHECK (length(supplier_reference) BETWEEN 1 AND 100),
    status text NOT NULL CHECK (status IN ('draft', 'posted', 'partially_paid', 'paid', 'void')),
    bill_date date NOT NULL,
    due_date date NOT NULL CHECK (due_date >= bill_date),
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    subtotal bigint NOT NULL DEFAULT 0 CHECK (subtotal BETWEEN 0 AND 9007199254740991),
    tax_total bigint NOT NULL DEFAULT 0 CHECK (tax_total BETWEEN 0 AND 9007199254740991),
    total bigint NOT NULL DEFAULT 0 CHECK (total BETWEEN 0 AND 9007199254740991),
    amount_paid bigint NOT NULL DEFAULT 0 CHECK (amount_paid >= 0),
    -- A line's unit cost strays from its purchase order line beyond the tolerance.
    price_variance boolean NOT NULL DEFAULT false,
    variance_accepted_by uuid REFERENCES users (id),
    notes text CHECK (length(notes) <= 10000),
    posted_at timestamptz,
    voided_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    -- The balance never goes below zero.
    CHECK (amount_paid <= total),
    CHECK (status NOT IN ('draft', 'void') OR amount_paid = 0)
);
CREATE UNIQUE INDEX supplier_bills_number_key ON supplier_bills (number);
-- One bill per supplier invoice number (case-insensitively); a void bill frees its number.
CREATE UNIQUE INDEX supplier_bills_reference_key ON supplier_bills (supplier_id, lower(supplier_reference))
    WHERE status <> 'void';
CREATE INDEX supplier_bills_supplier_id_idx ON supplier_bills (supplier_id, status);
CREATE INDEX supplier_bills_purchase_order_id_idx ON supplier_bills (purchase_order_id);
CREATE INDEX supplier_bills_variance_accepted_by_idx ON supplier_bills (variance_accepted_by);
CREATE INDEX supplier_bills_created_at_idx ON supplier_bills (created_at, id);
CREATE INDEX supplier_bills_open_due_idx ON supplier_bills (due_date) WHERE status IN ('posted', 'partially_paid');

CREATE TABLE supplier_bill_lines (
    supplier_bill_id uuid NOT NULL REFERENCES supplier_bills (id) ON DELETE CASCADE,
    line_no integer NOT NULL CHECK (line_no >= 1),
    item_id uuid REFERENCES items (id),
    description text NOT NULL CHECK (length(description) BETWEEN 1 AND 1000),
    quantity numeric(18, 3) NOT NULL CHECK (quantity > 0),
    unit_cost bigint NOT NULL CHECK (unit_cost BETWEEN 0 AND 9007199254740991),
    tax_rate numeric(6, 3) NOT NULL DEFAULT 0 CHECK (tax_rate BETWEEN 0 AND 100),
    line_total bigint NOT NULL CHECK (line_total >= 0),
    tax_amount bigint NOT NULL CHECK (tax_amount >= 0),
    -- The purchase order line this bills, and its unit cost when billed (the price match).
    purchase_order_line_no integer,
    purchase_order_unit_cost bigint,
    PRIMARY KEY (supplier_bill_id, line_no)
);
CREATE INDEX supplier_bill_lines_item_id_idx ON supplier_bill_lines (item_id);

CREATE SEQUENCE supplier_payment_number_seq;
CREATE TABLE supplier_payments (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    number text NOT NULL DEFAULT document_number('SPAY', nextval('supplier_payment_number_seq')),
    supplier_id uuid NOT NULL REFERENCES suppliers (id),
    amount bigint NOT NULL CHECK (amount BETWEEN 1 AND 9007199254740991),
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    paid_on date NOT NULL,
    method text NOT NULL CHECK (method IN ('bank_transfer', 'card', 'cash', 'check', 'other')),
    reference text CHECK (length(reference) <= 200),
    -- What is not allocated to bills: an advance to the supplier.
    unapplied_amount bigint NOT NULL CHECK (unapplied_amount >= 0 AND unapplied_amount <= amount),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX supplier_payments_number_key ON supplier_payments (number);
CREATE INDEX supplier_payments_supplier_id_idx ON supplier_payments (supplier_id);
CREATE INDEX supplier_payments_created_at_idx ON supplier_payments (created_at, id);

CREATE TABLE supplier_payment_allocations (
    supplier_payment_id uuid NOT NULL REFERENCES supplier_payments (id),
    supplier_bill_id uuid NOT NULL REFERENCES supplier_bills (id),
    amount bigint NOT NULL CHECK (amount > 0),
    -- clock_timestamp: allocations made in one transaction keep the order they were made in.
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (supplier_payment_id, supplier_bill_id)
);
CREATE INDEX supplier_payment_allocations_bill_id_idx ON supplier_payment_allocations (supplier_bill_id);
