-- Receivables: invoices (from orders or by hand), payments with their allocations, credit notes.

CREATE SEQUENCE invoice_number_seq;
CREATE TABLE invoices (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Given when the invoice is issued, from the sequence: issued numbers are never reused.
    number text,
    customer_id uuid NOT NULL REFERENCES customers (id),
    sales_order_id uuid REFERENCES sales_orders (id),
    status text NOT NULL CHECK (status IN ('draft', 'issued', 'partially_paid', 'paid', 'void')),
    issue_date date,
    due_date date,
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    subtotal bigint NOT NULL DEFAULT 0 CHECK (subtotal BETWEEN 0 AND 9007199254740991),
    tax_total bigint NOT NULL DEFAULT 0 CHECK (tax_total BETWEEN 0 AND 9007199254740991),
    total bigint NOT NULL DEFAULT 0 CHECK (total BETWEEN 0 AND 9007199254740991),
    amount_paid bigint NOT NULL DEFAULT 0 CHECK (amount_paid >= 0),
    amount_credited bigint NOT NULL DEFAULT 0 CHECK (amount_credited >= 0),
    notes text CHECK (length(notes) <= 10000),
    voided_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    -- The balance never goes below zero: payments and credits never exceed the total.
    CHECK (amount_paid + amount_credited <= total),
    CHECK ((status = 'draft') = (number IS NULL) OR status = 'void'),
    CHECK (status IN ('draft', 'void') OR (issue_date IS NOT NULL AND due_date IS NOT NULL))
);
CREATE UNIQUE INDEX invoices_number_key ON invoices (number);
CREATE INDEX invoices_customer_id_idx ON invoices (customer_id, status);
CREATE INDEX invoices_sales_order_id_idx ON invoices (sales_order_id);
CREATE INDEX invoices_created_at_idx ON invoices (created_at, id);
CREATE INDEX invoices_open_due_idx ON invoices (due_date) WHERE status IN ('issued', 'partially_paid');

CREATE TABLE invoice_lines (
    invoice_id uuid NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    line_no integer NOT NULL CHECK (line_no >= 1),
    item_id uuid REFERENCES items (id),
    description text NOT NULL CHECK (length(description) BETWEEN 1 AND 1000),
    quantity numeric(18, 3) NOT NULL CHECK (quantity > 0),
    unit_price bigint NOT NULL CHECK (unit_price BETWEEN 0 AND 9007199254740991),
    discount_percent numeric(6, 3) NOT NULL DEFAULT 0 CHECK (discount_percent BETWEEN 0 AND 100),
    tax_rate numeric(6, 3) NOT NULL DEFAULT 0 CHECK (tax_rate BETWEEN 0 AND 100),
    line_total bigint NOT NULL CHECK (line_total >= 0),
    tax_amount bigint NOT NULL CHECK (tax_amount >= 0),
    -- The sales order line this bills, for invoices made from orders.
    sales_order_line_no integer,
    PRIMARY KEY (invoice_id, line_no)
);
CREATE INDEX invoice_lines_item_id_idx ON invoice_lines (item_id);

CREATE SEQUENCE payment_number_seq;
CREATE TABLE payments (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    number text NOT NULL DEFAULT document_number('PAY', nextval('payment_number_seq')),
    customer_id uuid NOT NULL REFERENCES customers (id),
    amount bigint NOT NULL CHECK (amount BETWEEN 1 AND 9007199254740991),
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    received_on date NOT NULL,
    method text NOT NULL CHECK (method IN ('bank_transfer', 'card', 'cash', 'check', 'other')),
    reference text CHECK (length(reference) <= 200),
    -- What is not allocated to invoices: credit on the customer.
    unapplied_amount bigint NOT NULL CHECK (unapplied_amount >= 0 AND unapplied_amount <= amount),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX payments_number_key ON payments (number);
CREATE INDEX payments_customer_id_idx ON payments (customer_id);
CREATE INDEX payments_created_at_idx ON payments (created_at, id);

CREATE TABLE payment_allocations (
    payment_id uuid NOT NULL REFERENCES payments (id),
    invoice_id uuid NOT NULL REFERENCES invoices (id),
    amount bigint NOT NULL CHECK (amount > 0),
    -- clock_timestamp: allocations made in one transaction keep the order they were made in.
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (payment_id, invoice_id)
);
CREATE INDEX payment_allocations_invoice_id_idx ON payment_allocations (invoice_id);

CREATE SEQUENCE credit_note_number_seq;
CREATE TABLE credit_notes (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    number text NOT NULL DEFAULT document_number('CN', nextval('credit_note_number_seq')),
    invoice_id uuid NOT NULL REFERENCES invoices (id),
    customer_id uuid NOT NULL REFERENCES customers (id),
    amount bigint NOT NULL CHECK (amount BETWEEN 1 AND 9007199254740991),
    currency text NOT NULL,
    issue_date date NOT NULL,
    reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
    lines jsonb,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX credit_notes_number_key ON credit_notes (number);
CREATE INDEX credit_notes_invoice_id_idx ON credit_notes (invoice_id);
CREATE INDEX credit_notes_customer_id_idx ON credit_notes (customer_id);
CREATE INDEX credit_notes_created_at_idx ON credit_notes (created_at, id);
