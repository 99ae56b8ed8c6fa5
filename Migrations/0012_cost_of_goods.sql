-- Cost of goods at shipment: every shipment line carries what its goods cost (the item's
-- moving average at the moment of shipping, or the standard cost of a service item) and what
-- they earned, so margins are sums of rows that never change afterwards.
--
-- Invariants (checked by the tests):
--   shipment_lines.cost = round_half_even(quantity × unit_cost)
--   for stock items, shipment_lines.unit_cost = the `shipment` movement's unit_cost
--   Σ shipment_lines.cost = Σ −quantity × unit_cost of the `shipment` movements, per item

-- A fixed cost per unit for items whose cost is not averaged from receipts (services); also
-- allowed on stock items, where the moving average still prices shipments.
ALTER TABLE items ADD COLUMN standard_cost bigint CHECK (standard_cost BETWEEN 0 AND 9007199254740991);

-- The order, item, currency and time of the shipment are copied onto each line, so the margin
-- reports read one table in one range scan (shipments and order lines never change them).
ALTER TABLE shipment_lines
    ADD COLUMN sales_order_id uuid REFERENCES sales_orders (id),
    ADD COLUMN item_id uuid REFERENCES items (id),
    ADD COLUMN currency text,
    ADD COLUMN shipped_at timestamptz,
    -- Minor units of the installation's default currency (costs are kept in it).
    ADD COLUMN unit_cost bigint CHECK (unit_cost >= 0),
    ADD COLUMN cost bigint CHECK (cost >= 0),
    -- quantity × the line's unit price less its discount, before tax, half-even, in `currency`.
    ADD COLUMN revenue bigint CHECK (revenue >= 0);

-- Shipments made before this migration had no cost: they take the item's cost of today,
-- the best figure left (stock movements are append-only and keep their null).
UPDATE shipment_lines l
SET sales_order_id = s.sales_order_id, item_id = ol.item_id, currency = o.currency, shipped_at = s.created_at,
    unit_cost = CASE WHEN i.type = 'stock' THEN i.average_cost ELSE coalesce(i.standard_cost, 0) END,
    cost = 0, revenue = ol.line_total
FROM shipments s
JOIN sales_orders o ON o.id = s.sales_order_id
JOIN sales_order_lines ol ON ol.sales_order_id = s.sales_order_id
LEFT JOIN items i ON i.id = ol.item_id
WHERE s.id = l.shipment_id AND ol.line_no = l.line_no;
-- Half-even to a minor unit (quantity has three places): ties go to the even neighbour.
UPDATE shipment_lines l
SET cost = CASE
        WHEN abs(l.quantity * l.unit_cost - trunc(l.quantity * l.unit_cost)) = 0.5
            THEN 2 * round(l.quantity * l.unit_cost / 2)
        ELSE round(l.quantity * l.unit_cost) END,
    revenue = CASE WHEN l.quantity = ol.quantity THEN ol.line_total
        ELSE round(l.quantity * ol.unit_price * (100 - ol.discount_percent) / 100) END
FROM sales_order_lines ol
WHERE ol.sales_order_id = l.sales_order_id AND ol.line_no = l.line_no;
UPDATE shipment_lines SET unit_cost = 0, cost = 0 WHERE unit_cost IS NULL;

ALTER TABLE shipment_lines
    ALTER COLUMN sales_order_id SET NOT NULL,
    ALTER COLUMN currency SET NOT NULL,
    ALTER COLUMN shipped_at SET NOT NULL,
    ALTER COLUMN unit_cost SET NOT NULL,
    ALTER COLUMN cost SET NOT NULL,
    ALTER COLUMN revenue SET NOT NULL;

-- When an order's goods first and last left, for the KPIs (confirm → first shipment, on time
-- against requested_date) without reading every shipment.
ALTER TABLE sales_orders ADD COLUMN first_shipped_at timestamptz, ADD COLUMN last_shipped_at timestamptz;
UPDATE sales_orders o SET first_shipped_at = s.first, last_shipped_at = s.last
FROM (SELECT sales_order_id, min(created_at) AS first, max(created_at) AS last FROM shipments GROUP BY sales_order_id) s
WHERE s.sales_order_id = o.id;

CREATE INDEX shipment_lines_shipped_at_idx ON shipment_lines (shipped_at);
CREATE INDEX shipment_lines_order_line_idx ON shipment_lines (sales_order_id, line_no);
CREATE INDEX shipment_lines_item_id_idx ON shipment_lines (item_id);
CREATE INDEX shipments_created_at_idx ON shipments (created_at, id);
-- The RFM and KPI reports read confirmed orders per customer in a window.
CREATE INDEX sales_orders_customer_confirmed_idx ON sales_orders (customer_id, confirmed_at)
    WHERE confirmed_at IS NOT NULL;

-- RFM scores need every customer of the window ranked at once (seconds at a million
-- customers), so the ranked rows are kept per (as_of, window_days, currency) and reused while
-- no sales order changed. `orders_stamp` is "count:Σ version" of sales_orders when the rows
-- were computed (in one snapshot): every order write bumps a version or the count, so a
-- different stamp means the rows may be stale and are computed again. Names, lifetime values
-- and overdue balances are read live for each page.
CREATE TABLE rfm_snapshots (
    id bigserial PRIMARY KEY,
    as_of date NOT NULL,
    window_days integer NOT NULL CHECK (window_days BETWEEN 1 AND 3650),
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    orders_stamp text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (as_of, window_days, currency)
);
CREATE TABLE rfm_snapshot_rows (
    snapshot_id bigint NOT NULL REFERENCES rfm_snapshots (id) ON DELETE CASCADE,
    seq bigint NOT NULL,
    customer_id uuid NOT NULL,
    frequency bigint NOT NULL,
    monetary bigint NOT NULL,
    recency_days integer NOT NULL,
    span_days integer NOT NULL,
    earlier_count bigint NOT NULL,
    earlier_value bigint NOT NULL,
    later_count bigint NOT NULL,
    later_value bigint NOT NULL,
    r_score integer NOT NULL,
    f_score integer NOT NULL,
    m_score integer NOT NULL,
    segment text NOT NULL,
    PRIMARY KEY (snapshot_id, seq, customer_id)
);
CREATE INDEX rfm_snapshot_rows_segment_idx ON rfm_snapshot_rows (snapshot_id, segment, seq, customer_id);
CREATE INDEX rfm_snapshot_rows_customer_idx ON rfm_snapshot_rows (snapshot_id, customer_id);
