-- The catalog: items (goods kept in stock and services) and the discount of each customer tier.

CREATE TABLE items (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    sku text NOT NULL CHECK (length(sku) BETWEEN 1 AND 64),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description text CHECK (length(description) <= 4000),
    type text NOT NULL CHECK (type IN ('stock', 'service')),
    unit text NOT NULL DEFAULT 'each' CHECK (length(unit) BETWEEN 1 AND 20),
    -- Money in the currency's minor units (API.md "Money"), at most 2^53-1.
    unit_price bigint NOT NULL CHECK (unit_price BETWEEN 0 AND 9007199254740991),
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    -- {"gold": 900}: a fixed price per customer tier, in the item's currency.
    tier_prices jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(tier_prices) = 'object'),
    reorder_point numeric(18,3) CHECK (reorder_point >= 0),
    reorder_quantity numeric(18,3) CHECK (reorder_quantity >= 0),
    -- Purchasing (suppliers) comes later: a plain uuid for now, without a foreign key. The
    -- Purchasing migration adds the FOREIGN KEY to suppliers (and keeps the index below).
    preferred_supplier_id uuid,
    active boolean NOT NULL DEFAULT true,
    -- Moving average cost per unit in the installation's default currency, maintained by
    -- Inventory when stock is received (never written through the API).
    average_cost bigint NOT NULL DEFAULT 0 CHECK (average_cost >= 0),
    external_ref text CHECK (length(external_ref) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1
);
-- SKUs are unique case-insensitively: "ab-1" and "AB-1" on two labels would be a mistake.
CREATE UNIQUE INDEX items_sku_key ON items (lower(sku));
CREATE UNIQUE INDEX items_external_ref_key ON items (external_ref) WHERE external_ref IS NOT NULL;
CREATE INDEX items_preferred_supplier_id_idx ON items (preferred_supplier_id);
-- Keyset cursors for each sort (created_at, sku, name), each ending in id.
CREATE INDEX items_created_at_id_idx ON items (created_at, id);
CREATE INDEX items_sku_id_idx ON items (sku, id);
CREATE INDEX items_name_id_idx ON items (name, id);
CREATE INDEX items_type_active_idx ON items (type, active);
-- `q` is a substring search over sku and name (ILIKE '%…%'): trigram indexes keep it fast.
-- pg_trgm is a trusted extension (0002 creates it too; IF NOT EXISTS keeps either order working).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX items_sku_trgm_idx ON items USING gin (sku gin_trgm_ops);
CREATE INDEX items_name_trgm_idx ON items USING gin (name gin_trgm_ops);

-- The discount each customer tier gets off an item's list price (when the item has no fixed
-- price for that tier). One row per tier, always present.
CREATE TABLE pricing_tiers (
    tier text PRIMARY KEY CHECK (tier IN ('standard', 'silver', 'gold', 'platinum')),
    -- Events name their resource by uuid; tiers are named by their word in the API.
    id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    discount_percent numeric(6,3) NOT NULL DEFAULT 0 CHECK (discount_percent BETWEEN 0 AND 100),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1
);
INSERT INTO pricing_tiers (tier) VALUES ('standard'), ('silver'), ('gold'), ('platinum');
