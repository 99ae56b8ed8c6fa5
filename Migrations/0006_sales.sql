-- Sales orders: quotation (draft) to confirmed order, shipments, cancel, close.

CREATE SEQUENCE sales_order_number_seq;
CREATE TABLE sales_orders (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    number text NOT NULL DEFAULT document_number('SO', nextval('sales_order_number_seq')),
    customer_id uuid NOT NULL REFERENCES customers (id),
    warehouse_id uuid REFERENCES warehouses (id),
    status text NOT NULL CHECK (status IN ('draft', 'confirmed', 'partially_shipped', 'shipped', 'cancelled', 'closed')),
    invoice_status text NOT NULL DEFAULT 'not_invoiced' CHECK (invoice_status IN ('not_invoiced', 'partially_invoiced', 'invoiced')),
    valid_until date,
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    subtotal bigint NOT NULL DEFAULT 0 CHECK (subtotal BETWEEN 0 AND 9007199254740991),
    tax_total bigint NOT NULL DEFAULT 0 CHECK (tax_total BETWEEN 0 AND 9007199254740991),
    total bigint NOT NULL DEFAULT 0 CHECK (total BETWEEN 0 AND 9007199254740991),
    opportunity_id uuid REFERENCES opportunities (id),
    requested_date date,
    notes text CHECK (length(notes) <= 10000),
    external_ref text CHECK (length(external_ref) BETWEEN 1 AND 200),
    confirmed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    -- Confirmed orders need somewhere to reserve stock.
    CHECK (status IN ('draft', 'cancelled') OR warehouse_id IS NOT NULL)
);
CREATE UNIQUE INDEX sales_orders_number_key ON sales_orders (number);
CREATE UNIQUE INDEX sales_orders_external_ref_key ON sales_orders (external_ref) WHERE external_ref IS NOT NULL;
CREATE INDEX sales_orders_customer_id_idx ON sales_orders (customer_id, status);
CREATE INDEX sales_orders_warehouse_id_idx ON sales_orders (warehouse_id);
CREATE INDEX sales_orders_opportunity_id_idx ON sales_orders (opportunity_id);
CREATE INDEX sales_orders_created_at_idx ON sales_orders (created_at, id);
CREATE INDEX sales_orders_status_idx ON sales_orders (status, created_at, id);
CREATE INDEX sales_orders_confirmed_at_idx ON sales_orders (confirmed_at);

-- Amounts per line are fixed when written (half-even per line, API.md): line_total is
-- quantity × unit price less the discount, before tax; tax_amount is line_total × tax rate.
CREATE TABLE sales_order_lines (
    sales_order_id uuid NOT NULL REFERENCES sales_orders (id) ON DELETE CASCADE,
    line_no integer NOT NULL CHECK (line_no >= 1),
    item_id uuid REFERENCES items (id),
    description text CHECK (length(description) <= 1000),
    quantity numeric(18, 3) NOT NULL CHECK (quantity > 0),
    unit_price bigint NOT NULL CHECK (unit_price BETWEEN 0 AND 9007199254740991),
    price_source text NOT NULL,
    discount_percent numeric(6, 3) NOT NULL DEFAULT 0 CHECK (discount_percent BETWEEN 0 AND 100),
    tax_rate numeric(6, 3) NOT NULL DEFAULT 0 CHECK (tax_rate BETWEEN 0 AND 100),
    line_total bigint NOT NULL CHECK (line_total >= 0),
    tax_amount bigint NOT NULL CHECK (tax_amount >= 0),
    shipped_quantity numeric(18, 3) NOT NULL DEFAULT 0 CHECK (shipped_quantity >= 0 AND shipped_quantity <= quantity),
    invoiced_quantity numeric(18, 3) NOT NULL DEFAULT 0 CHECK (invoiced_quantity >= 0 AND invoiced_quantity <= quantity),
    PRIMARY KEY (sales_order_id, line_no)
);
CREATE INDEX sales_order_lines_item_id_idx ON sales_order_lines (item_id);

CREATE SEQUENCE shipment_number_seq;
CREATE TABLE shipments (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    number text NOT NULL DEFAULT document_number('SHP', nextval('shipment_number_seq')),
    sales_order_id uuid NOT NULL REFERENCES sales_orders (id),
    created_by uuid REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX shipments_number_key ON shipments (number);
CREATE INDEX shipments_sales_order_id_idx ON shipments (sales_order_id, created_at, id);
CREATE INDEX shipments_created_by_idx ON shipments (created_by);

CREATE TABLE shipment_lines (
    shipment_id uuid NOT NULL REFERENCES shipments (id),
    line_no integer NOT NULL,
    quantity numeric(18, 3) NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (shipment_id, line_no)
);

ALTER TABLE opportunities ADD CONSTRAINT opportunities_sales_order_id_fkey
    FOREIGN KEY (sales_order_id) REFERENCES sales_orders (id);
