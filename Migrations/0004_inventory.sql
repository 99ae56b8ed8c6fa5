-- Inventory: warehouses, the append-only stock ledger, balances per item and warehouse, and
-- reservations held by documents (sales order lines).
--
-- Invariants (checked by the tests after every test that writes stock):
--   stock_balances.on_hand  = Σ stock_movements.quantity        for the item and warehouse
--   stock_balances.reserved = Σ stock_reservations.quantity     for the item and warehouse
--   0 <= reserved <= on_hand
-- The balances are updated in the same transaction as the movement or reservation, so reads
-- never sum the ledger.

CREATE TABLE warehouses (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code text NOT NULL CHECK (length(code) BETWEEN 1 AND 32),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    address text CHECK (length(address) <= 1000),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX warehouses_code_key ON warehouses (lower(code));
CREATE INDEX warehouses_created_at_id_idx ON warehouses (created_at, id);

CREATE TABLE stock_balances (
    item_id uuid NOT NULL REFERENCES items (id),
    warehouse_id uuid NOT NULL REFERENCES warehouses (id),
    on_hand numeric(18,3) NOT NULL DEFAULT 0,
    reserved numeric(18,3) NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    PRIMARY KEY (item_id, warehouse_id),
    -- The last line of defence; the service's guarded updates answer 409 insufficient_stock first.
    CONSTRAINT stock_balances_on_hand_check CHECK (on_hand >= 0),
    CONSTRAINT stock_balances_reserved_check CHECK (reserved >= 0 AND reserved <= on_hand)
);
CREATE INDEX stock_balances_warehouse_id_idx ON stock_balances (warehouse_id, item_id);

-- The ledger. Append-only: movements are never updated or deleted (a trigger refuses it), so
-- they carry created_at only, no updated_at or version.
CREATE TABLE stock_movements (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    item_id uuid NOT NULL REFERENCES items (id),
    warehouse_id uuid NOT NULL REFERENCES warehouses (id),
    quantity numeric(18,3) NOT NULL CHECK (quantity <> 0),
    kind text NOT NULL CHECK (kind IN ('receipt', 'shipment', 'adjustment', 'transfer_in', 'transfer_out')),
    -- What caused it: a document (sales_order, purchase_order), an adjustment or a transfer.
    reference_type text,
    reference_id uuid,
    reference_number text,
    reference_line integer,
    -- Cost per unit in the installation's default currency (receipts only).
    unit_cost bigint CHECK (unit_cost >= 0),
    reason text,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by uuid REFERENCES users (id)
);
CREATE INDEX stock_movements_created_at_id_idx ON stock_movements (created_at, id);
CREATE INDEX stock_movements_item_id_idx ON stock_movements (item_id, created_at, id);
CREATE INDEX stock_movements_warehouse_id_idx ON stock_movements (warehouse_id, created_at, id);
CREATE INDEX stock_movements_reference_idx ON stock_movements (reference_type, reference_id);
CREATE INDEX stock_movements_created_by_idx ON stock_movements (created_by);

CREATE FUNCTION stock_movements_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'stock_movements is append-only' USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER stock_movements_append_only BEFORE UPDATE OR DELETE ON stock_movements
    FOR EACH ROW EXECUTE FUNCTION stock_movements_append_only();
CREATE TRIGGER stock_movements_no_truncate BEFORE TRUNCATE ON stock_movements
    FOR EACH STATEMENT EXECUTE FUNCTION stock_movements_append_only();

-- Stock held for a document line (reference type + id + line), e.g. a confirmed sales order
-- line. `quantity` is what is still held: shipping lowers it, releasing sets it to 0.
CREATE TABLE stock_reservations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    reference_type text NOT NULL,
    reference_id uuid NOT NULL,
    reference_line integer NOT NULL,
    reference_number text,
    item_id uuid NOT NULL,
    warehouse_id uuid NOT NULL,
    quantity numeric(18,3) NOT NULL CHECK (quantity >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    FOREIGN KEY (item_id, warehouse_id) REFERENCES stock_balances (item_id, warehouse_id),
    UNIQUE (reference_type, reference_id, reference_line)
);
CREATE INDEX stock_reservations_balance_idx ON stock_reservations (item_id, warehouse_id) WHERE quantity > 0;
CREATE INDEX stock_reservations_item_warehouse_idx ON stock_reservations (item_id, warehouse_id);
CREATE INDEX stock_reservations_warehouse_id_idx ON stock_reservations (warehouse_id);

-- What open purchase orders will still bring, one row per item and warehouse. Empty until
-- Purchasing's migration replaces it (CREATE OR REPLACE VIEW with these three columns, summed
-- per item and warehouse); GET /stock shows it as `incoming` and below_reorder counts it.
CREATE VIEW stock_incoming (item_id, warehouse_id, quantity) AS
    SELECT NULL::uuid, NULL::uuid, 0::numeric(18,3) WHERE false;
