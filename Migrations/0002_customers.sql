-- The customer master and its contacts: every later module points at customers.

-- Trigram indexes make `q` substring search fast at millions of rows (pg_trgm is a trusted
-- extension, so the database owner may create it).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- `CUST-000001`: at least six digits, more when the sequence gets there (lpad alone would cut).
CREATE FUNCTION document_number(prefix text, n bigint) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN prefix || '-' || CASE WHEN n < 1000000 THEN lpad(n::text, 6, '0') ELSE n::text END;

CREATE SEQUENCE customer_number_seq;
CREATE TABLE customers (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    number text NOT NULL DEFAULT document_number('CUST', nextval('customer_number_seq')),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind text NOT NULL CHECK (kind IN ('company', 'person')),
    email text CHECK (length(email) <= 320),
    phone text CHECK (length(phone) <= 50),
    tax_id text CHECK (length(tax_id) <= 50),
    website text CHECK (length(website) <= 500),
    billing_address jsonb,
    shipping_address jsonb,
    tier text NOT NULL CHECK (tier IN ('standard', 'silver', 'gold', 'platinum')),
    credit_limit bigint CHECK (credit_limit BETWEEN 0 AND 9007199254740991),
    payment_terms_days integer NOT NULL CHECK (payment_terms_days BETWEEN 0 AND 3650),
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    tags text[] NOT NULL DEFAULT '{}',
    owner_id uuid REFERENCES users (id),
    status text NOT NULL CHECK (status IN ('active', 'blocked', 'archived')),
    external_ref text CHECK (length(external_ref) BETWEEN 1 AND 200),
    -- Set when this customer was merged into another one (and archived).
    merged_into_id uuid REFERENCES customers (id),
    -- What `q` searches: name, email, number and tax id, lower-cased.
    search_text text GENERATED ALWAYS AS (
        lower(name || ' ' || coalesce(email, '') || ' ' || number || ' ' || coalesce(tax_id, ''))
    ) STORED,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX customers_number_key ON customers (number);
CREATE UNIQUE INDEX customers_email_key ON customers (lower(email)) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX customers_tax_id_key ON customers (upper(tax_id)) WHERE tax_id IS NOT NULL;
CREATE UNIQUE INDEX customers_external_ref_key ON customers (external_ref) WHERE external_ref IS NOT NULL;
CREATE INDEX customers_search_idx ON customers USING gin (search_text gin_trgm_ops);
CREATE INDEX customers_name_idx ON customers (lower(name), id);
CREATE INDEX customers_created_at_idx ON customers (created_at, id);
CREATE INDEX customers_owner_id_idx ON customers (owner_id);
CREATE INDEX customers_merged_into_id_idx ON customers (merged_into_id);
CREATE INDEX customers_tags_idx ON customers USING gin (tags);

-- Contacts are part of their customer, not documents about it: they go when it goes.
CREATE TABLE customer_contacts (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    customer_id uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    email text CHECK (length(email) <= 320),
    phone text CHECK (length(phone) <= 50),
    role text CHECK (length(role) <= 100),
    is_primary boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1
);
CREATE INDEX customer_contacts_customer_id_idx ON customer_contacts (customer_id, created_at, id);
-- At most one primary contact per customer.
CREATE UNIQUE INDEX customer_contacts_primary_key ON customer_contacts (customer_id) WHERE is_primary;
