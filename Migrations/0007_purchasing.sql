-- Purchasing: suppliers, purchase orders and their lines, goods receipts; what open purchase
-- orders will bring feeds Inventory's `stock_incoming` view.

CREATE SEQUENCE supplier_number_seq;
CREATE TABLE suppliers (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    number text NOT NULL DEFAULT document_number('SUP', nextval('supplier_number_seq')),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    email text CHECK (length(email) <= 320),
    phone text CHECK (length(phone) <= 50),
    address text CHECK (length(address) <= 1000),
    payment_terms_days integer NOT NULL DEFAULT 30 CHECK (payment_terms_days BETWEEN 0 AND 3650),
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
    external_ref text CHECK (length(external_ref) BETWEEN 1 AND 200),
    -- What `q` searches (number, name, email), lower case, for the trigram index.
    search_text text GENERATED ALWAYS AS (lower(number || ' ' || name || ' ' || coalesce(email, ''))) STORED,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX suppliers_number_key ON suppliers (number);
-- Unique case-insensitively when present (API.md: `email`, `external_ref` unique per resource).
CREATE UNIQUE INDEX suppliers_email_key ON suppliers (lower(email)) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX suppliers_external_ref_key ON suppliers (external_ref) WHERE external_ref IS NOT NULL;
CREATE INDEX suppliers_created_at_idx ON suppliers (created_at, id);
CREATE INDEX suppliers_name_idx ON suppliers (lower(name), id);
CREATE INDEX suppliers_status_idx ON suppliers (status, created_at, id);
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX suppliers_search_trgm_idx ON suppliers USING gin (search_text gin_trgm_ops);

-- Items named their preferred supplier as a bare uuid until now (0003).
ALTER TABLE items ADD CONSTRAINT items_preferred_supplier_id_fkey
    FOREIGN KEY (preferred_supplier_id) REFERENCES suppliers (id);

CREATE SEQUENCE purchase_order_number_seq;
CREATE TABLE purchase_orders (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    number text NOT NULL DEFAULT document_number('PO', nextval('purchase_order_number_seq')),
    supplier_id uuid NOT NULL REFERENCES suppliers (id),
    warehouse_id uuid NOT NULL REFERENCES warehouses (id),
    status text NOT NULL CHECK (status IN ('draft', 'ordered', 'partially_received', 'received', 'cancelled')),
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    subtotal bigint NOT NULL DEFAULT 0 CHECK (subtotal BETWEEN 0 AND 9007199254740991),
    total bigint NOT NULL DEFAULT 0 CHECK (total BETWEEN 0 AND 9007199254740991),
    expected_date date,
    notes text CHECK (length(notes) <= 10000),
    external_ref text CHECK (length(external_ref) BETWEEN 1 AND 200),
    ordered_at timestamptz,
    received_at timestamptz,
    cancelled_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX purchase_orders_number_key ON purchase_orders (number);
CREATE UNIQUE INDEX purchase_orders_external_ref_key ON purchase_orders (external_ref) WHERE external_ref IS NOT NULL;
CREATE INDEX purchase_orders_supplier_id_idx ON purchase_orders (supplier_id, created_at, id);
CREATE INDEX purchase_orders_warehouse_id_idx ON purchase_orders (warehouse_id, created_at, id);
CREATE INDEX purchase_orders_created_at_idx ON purchase_orders (created_at, id);
CREATE INDEX purchase_orders_status_idx ON purchase_orders (status, created_at, id);

-- line_total = quantity × unit_cost, rounded half-even to a minor unit, fixed when written.
CREATE TABLE purchase_order_lines (
    purchase_order_id uuid NOT NULL REFERENCES purchase_orders (id) ON DELETE CASCADE,
    line_no integer NOT NULL CHECK (line_no >= 1),
    item_id uuid NOT NULL REFERENCES items (id),
    quantity numeric(18, 3) NOT NULL CHECK (quantity > 0),
    unit_cost bigint NOT NULL CHECK (unit_cost BETWEEN 0 AND 9007199254740991),
    line_total bigint NOT NULL CHECK (line_total BETWEEN 0 AND 9007199254740991),
    -- Never more than ordered: the last line of defence behind the 409 over_receipt.
    received_quantity numeric(18, 3) NOT NULL DEFAULT 0 CHECK (received_quantity >= 0 AND received_quantity <= quantity),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    PRIMARY KEY (purchase_order_id, line_no)
);
CREATE INDEX purchase_order_lines_item_id_idx ON purchase_order_lines (item_id);

-- Goods receipts are records of what arrived, never changed once written (like the stock
-- movements they caused), so they carry created_at only, no updated_at or version.
CREATE SEQUENCE goods_receipt_number_seq;
CREATE TABLE goods_receipts (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    number text NOT NULL DEFAULT document_number('GR', nextval('goods_receipt_number_seq')),
    purchase_order_id uuid NOT NULL REFERENCES purchase_orders (id),
    created_by uuid REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX goods_receipts_number_key ON goods_receipts (number);
CREATE INDEX goods_receipts_purchase_order_id_idx ON goods_receipts (purchase_order_id, created_at, id);
CREATE INDEX goods_receipts_created_by_idx ON goods_receipts (created_by);

CREATE TABLE goods_receipt_lines (
    goods_receipt_id uuid NOT NULL REFERENCES goods_receipts (id),
    line_no integer NOT NULL,
    item_id uuid NOT NULL REFERENCES items (id),
    quantity numeric(18, 3) NOT NULL CHECK (quantity > 0),
    unit_cost bigint NOT NULL CHECK (unit_cost >= 0),
    PRIMARY KEY (goods_receipt_id, line_no)
);
CREATE INDEX goods_receipt_lines_item_id_idx ON goods_receipt_lines (item_id);

-- What ordered purchase orders will still bring, per item and warehouse (Inventory's GET /stock
-- `incoming`, and below_reorder). Drafts are not ordered yet; cancelled and received orders
-- bring nothing more.
CREATE OR REPLACE VIEW stock_incoming (item_id, warehouse_id, quantity) AS
    SELECT l.item_id, o.warehouse_id, sum(l.quantity - l.received_quantity)::numeric(18,3)
    FROM purchase_orders o JOIN purchase_order_lines l ON l.purchase_order_id = o.id
    WHERE o.status IN ('ordered', 'partially_received') AND l.quantity > l.received_quantity
    GROUP BY l.item_id, o.warehouse_id;
-- The view's filter: open orders only.
CREATE INDEX purchase_orders_open_idx ON purchase_orders (id, warehouse_id) WHERE status IN ('ordered', 'partially_received');
