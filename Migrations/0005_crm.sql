-- CRM: leads, opportunities with their stage history and lines, activities.

-- Rounds half to even (banker's rounding), as API.md asks for weighted amounts and line totals;
-- PostgreSQL's round(numeric) rounds half away from zero.
CREATE FUNCTION round_half_even(v numeric) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN abs(v - trunc(v)) = 0.5 THEN trunc(v) + CASE WHEN trunc(v) % 2 = 0 THEN 0 ELSE sign(v) END
                ELSE round(v) END;

CREATE SEQUENCE lead_number_seq;
CREATE TABLE leads (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    number text NOT NULL DEFAULT document_number('LEAD', nextval('lead_number_seq')),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    company text CHECK (length(company) <= 200),
    email text CHECK (length(email) <= 320),
    phone text CHECK (length(phone) <= 50),
    source text NOT NULL CHECK (source IN ('web', 'referral', 'event', 'cold_call', 'partner', 'other')),
    status text NOT NULL CHECK (status IN ('new', 'contacted', 'qualified', 'unqualified', 'converted')),
    owner_id uuid REFERENCES users (id),
    notes text CHECK (length(notes) <= 10000),
    converted_customer_id uuid REFERENCES customers (id),
    converted_opportunity_id uuid,
    converted_at timestamptz,
    search_text text GENERATED ALWAYS AS (
        lower(name || ' ' || coalesce(company, '') || ' ' || coalesce(email, '') || ' ' || number)
    ) STORED,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    CHECK ((status = 'converted') = (converted_customer_id IS NOT NULL AND converted_at IS NOT NULL))
);
CREATE UNIQUE INDEX leads_number_key ON leads (number);
CREATE INDEX leads_created_at_idx ON leads (created_at, id);
CREATE INDEX leads_status_idx ON leads (status, created_at, id);
CREATE INDEX leads_source_idx ON leads (source);
CREATE INDEX leads_owner_id_idx ON leads (owner_id);
CREATE INDEX leads_converted_customer_id_idx ON leads (converted_customer_id);
CREATE INDEX leads_converted_opportunity_id_idx ON leads (converted_opportunity_id);
CREATE INDEX leads_search_idx ON leads USING gin (search_text gin_trgm_ops);

CREATE SEQUENCE opportunity_number_seq;
CREATE TABLE opportunities (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    number text NOT NULL DEFAULT document_number('OPP', nextval('opportunity_number_seq')),
    customer_id uuid NOT NULL REFERENCES customers (id),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    stage text NOT NULL CHECK (stage IN ('prospecting', 'qualification', 'proposal', 'negotiation', 'won', 'lost')),
    -- The effective probability (what reports weigh by) and the one a user set, if any: an
    -- explicit value survives stage moves, a default follows the stage.
    probability numeric(6, 3) NOT NULL CHECK (probability BETWEEN 0 AND 100),
    probability_override numeric(6, 3) CHECK (probability_override BETWEEN 0 AND 100),
    amount bigint NOT NULL CHECK (amount BETWEEN 0 AND 9007199254740991),
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    expected_close_date date,
    owner_id uuid REFERENCES users (id),
    lost_reason text CHECK (length(lost_reason) <= 1000),
    -- Set when a won opportunity opened a sales order (the Sales module links it).
    sales_order_id uuid,
    closed_at timestamptz,
    search_text text GENERATED ALWAYS AS (lower(name || ' ' || number)) STORED,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    CHECK ((stage IN ('won', 'lost')) = (closed_at IS NOT NULL))
);
CREATE UNIQUE INDEX opportunities_number_key ON opportunities (number);
CREATE INDEX opportunities_customer_id_idx ON opportunities (customer_id);
CREATE INDEX opportunities_owner_id_idx ON opportunities (owner_id);
CREATE INDEX opportunities_created_at_idx ON opportunities (created_at, id);
CREATE INDEX opportunities_stage_idx ON opportunities (stage);
CREATE INDEX opportunities_expected_close_date_idx ON opportunities (expected_close_date);
CREATE INDEX opportunities_sales_order_id_idx ON opportunities (sales_order_id);
CREATE INDEX opportunities_search_idx ON opportunities USING gin (search_text gin_trgm_ops);

ALTER TABLE leads ADD CONSTRAINT leads_converted_opportunity_id_fkey
    FOREIGN KEY (converted_opportunity_id) REFERENCES opportunities (id);

-- Each stage an opportunity entered, when and by whom (API.md `stage_history`).
CREATE TABLE opportunity_stages (
    id bigserial PRIMARY KEY,
    opportunity_id uuid NOT NULL REFERENCES opportunities (id) ON DELETE CASCADE,
    stage text NOT NULL,
    entered_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    entered_by uuid REFERENCES users (id)
);
CREATE INDEX opportunity_stages_opportunity_id_idx ON opportunity_stages (opportunity_id, id);
CREATE INDEX opportunity_stages_entered_by_idx ON opportunity_stages (entered_by);

CREATE TABLE opportunity_lines (
    opportunity_id uuid NOT NULL REFERENCES opportunities (id) ON DELETE CASCADE,
    line_no integer NOT NULL CHECK (line_no >= 1),
    item_id uuid REFERENCES items (id),
    description text CHECK (length(description) <= 1000),
    quantity numeric(18, 3) NOT NULL CHECK (quantity > 0),
    unit_price bigint CHECK (unit_price BETWEEN 0 AND 9007199254740991),
    PRIMARY KEY (opportunity_id, line_no)
);
CREATE INDEX opportunity_lines_item_id_idx ON opportunity_lines (item_id);

CREATE TABLE activities (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    type text NOT NULL CHECK (type IN ('call', 'meeting', 'email', 'task', 'note')),
    subject text NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
    body text CHECK (length(body) <= 10000),
    due_at timestamptz,
    completed_at timestamptz,
    owner_id uuid REFERENCES users (id),
    lead_id uuid REFERENCES leads (id),
    opportunity_id uuid REFERENCES opportunities (id),
    customer_id uuid REFERENCES customers (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    -- API.md: exactly one of lead, opportunity, customer.
    CHECK (num_nonnulls(lead_id, opportunity_id, customer_id) = 1)
);
CREATE INDEX activities_created_at_idx ON activities (created_at, id);
CREATE INDEX activities_lead_id_idx ON activities (lead_id);
CREATE INDEX activities_opportunity_id_idx ON activities (opportunity_id);
CREATE INDEX activities_customer_id_idx ON activities (customer_id);
CREATE INDEX activities_owner_id_idx ON activities (owner_id);
CREATE INDEX activities_open_due_idx ON activities (due_at) WHERE completed_at IS NULL;
