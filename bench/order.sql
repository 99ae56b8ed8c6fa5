-- What POST /sales-orders (three lines) and POST /sales-orders/{id}/confirm run, statement for
-- statement and in the same two transactions, as PostgreSQL logs them from the main (Sales,
-- Customers, Catalog, Inventory, Approvals, the event outbox and the alerts each write
-- re-checks before it commits), for pgbench -M prepared. The bench customer has no credit
-- limit and no approval rule applies, as in the wrk run. Variables: prefix (the bench key),
-- customer, warehouse, item1..item3.
SELECT k.id AS key_id, k.last_used_at, k.revoked_at, encode(k.secret_hash, 'hex') AS secret_hash,
       k.rate_limit_per_second, u.id AS user_id, u.name, u.email, u.role, u.active, u.team_id, u.data_scope
FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.prefix = :prefix;
BEGIN;
SELECT id, number, name, kind, email, phone, tax_id, website, billing_address IS NOT NULL AS billing_address,
       billing_address->>'line1' AS billing_line1, billing_address->>'line2' AS billing_line2,
       billing_address->>'city' AS billing_city, billing_address->>'region' AS billing_region,
       billing_address->>'postal_code' AS billing_postal_code, billing_address->>'country' AS billing_country,
       shipping_address IS NOT NULL AS shipping_address, shipping_address->>'line1' AS shipping_line1,
       shipping_address->>'line2' AS shipping_line2, shipping_address->>'city' AS shipping_city,
       shipping_address->>'region' AS shipping_region, shipping_address->>'postal_code' AS shipping_postal_code,
       shipping_address->>'country' AS shipping_country, tier, credit_limit, payment_terms_days, currency, tags,
       owner_id, status, external_ref, merged_into_id, created_at, updated_at, version
FROM customers WHERE id = :customer;
SELECT id, code, name, address, created_at, updated_at, version FROM warehouses WHERE id = :warehouse;
SELECT id, sku, name, description, type, unit, unit_price, currency, tier_prices, reorder_point, reorder_quantity,
       preferred_supplier_id, active, average_cost, standard_cost, external_ref, created_at, updated_at, version
FROM items WHERE id = ANY(ARRAY[:item1, :item2, :item3]::uuid[]) ORDER BY id;
SELECT tier, id, discount_percent, updated_at, version FROM pricing_tiers WHERE tier = 'standard';
SELECT tier, id, discount_percent, updated_at, version FROM pricing_tiers WHERE tier = 'standard';
SELECT tier, id, discount_percent, updated_at, version FROM pricing_tiers WHERE tier = 'standard';
INSERT INTO sales_orders (customer_id, warehouse_id, status, valid_until, currency, subtotal, tax_total, total,
                          opportunity_id, requested_date, notes, external_ref)
VALUES (:customer, :warehouse, 'draft', NULL, 'USD', 3000, 0, 3000, NULL, NULL, NULL, NULL)
RETURNING id AS order_id \gset
DELETE FROM sales_order_lines WHERE sales_order_id = :order_id;
INSERT INTO sales_order_lines (sales_order_id, line_no, item_id, description, quantity, unit_price, price_source,
                               discount_percent, tax_rate, line_total, tax_amount)
VALUES (:order_id, 1, :item1, 'Bench item 1', 1, 1000, 'list_price', 0, 0, 1000, 0);
INSERT INTO sales_order_lines (sales_order_id, line_no, item_id, description, quantity, unit_price, price_source,
                               discount_percent, tax_rate, line_total, tax_amount)
VALUES (:order_id, 2, :item2, 'Bench item 2', 1, 1000, 'list_price', 0, 0, 1000, 0);
INSERT INTO sales_order_lines (sales_order_id, line_no, item_id, description, quantity, unit_price, price_source,
                               discount_percent, tax_rate, line_total, tax_amount)
VALUES (:order_id, 3, :item3, 'Bench item 3', 1, 1000, 'list_price', 0, 0, 1000, 0);
SELECT id, number, customer_id, warehouse_id, status, valid_until, invoice_status, currency, subtotal, tax_total, total,
       opportunity_id, requested_date, notes, external_ref, confirmed_at, created_at, updated_at, version
FROM sales_orders WHERE id = :order_id;
SELECT sales_order_id, line_no, item_id, description, quantity, unit_price, price_source, discount_percent, tax_rate,
       line_total, tax_amount, shipped_quantity, invoiced_quantity, returned_quantity, returned_uninvoiced_quantity
FROM sales_order_lines WHERE sales_order_id = ANY(ARRAY[:order_id]::uuid[]) ORDER BY sales_order_id, line_no;
SELECT sales_order_id, line_no, sum(cost)::bigint AS cost, sum(revenue - cost)::bigint AS margin
FROM shipment_lines WHERE sales_order_id = ANY(ARRAY[:order_id]::uuid[]) GROUP BY sales_order_id, line_no;
INSERT INTO events (type, resource_type, resource_id, data, actor_user_id, actor_api_key_id)
VALUES ('sales_order.created', 'sales_order', :order_id, '{"id": "00000000-0000-0000-0000-000000000000", "lines": [{"cost": null, "margin": null, "item_id": "00000000-0000-0000-0000-000000000001", "line_no": 1, "quantity": 1, "tax_rate": 0, "line_total": 1000, "tax_amount": 0, "unit_price": 1000, "description": "Bench item 1", "price_source": "list_price", "discount_percent": 0, "shipped_quantity": 0, "invoiced_quantity": 0, "returned_quantity": 0}, {"cost": null, "margin": null, "item_id": "00000000-0000-0000-0000-000000000002", "line_no": 2, "quantity": 1, "tax_rate": 0, "line_total": 1000, "tax_amount": 0, "unit_price": 1000, "description": "Bench item 2", "price_source": "list_price", "discount_percent": 0, "shipped_quantity": 0, "invoiced_quantity": 0, "returned_quantity": 0}, {"cost": null, "margin": null, "item_id": "00000000-0000-0000-0000-000000000003", "line_no": 3, "quantity": 1, "tax_rate": 0, "line_total": 1000, "tax_amount": 0, "unit_price": 1000, "description": "Bench item 3", "price_source": "list_price", "discount_percent": 0, "shipped_quantity": 0, "invoiced_quantity": 0, "returned_quantity": 0}], "notes": null, "total": 3000, "number": "SO-000001", "status": "draft", "version": 1, "currency": "USD", "subtotal": 3000, "tax_total": 0, "created_at": "2026-12-05T19:10:48.139Z", "updated_at": "2026-12-05T19:10:48.139Z", "customer_id": "00000000-0000-0000-0000-000000000000", "valid_until": null, "confirmed_at": null, "external_ref": null, "warehouse_id": "00000000-0000-0000-0000-000000000000", "invoice_status": "not_invoiced", "opportunity_id": null, "requested_date": null}', NULL, NULL);
SELECT kind, enabled, threshold, updated_at, version FROM alert_rules ORDER BY kind;
SELECT 'sales_order' AS subject_type, o.id AS subject_id, o.number AS subject_number, o.id::text AS subject_key,
       o.warehouse_id, o.customer_id, NULL::uuid AS item_id, NULL::uuid AS supplier_id, 'info' AS severity,
       jsonb_build_object('valid_until', o.valid_until, 'days_left', o.valid_until - current_date, 'total', o.total,
           'currency', o.currency) AS details,
       format('quotation %s expires on %s', o.number, o.valid_until) AS message
FROM sales_orders o
WHERE o.status = 'draft' AND o.valid_until IS NOT NULL
  AND o.valid_until - current_date BETWEEN 0 AND 7 AND o.id IN (SELECT unnest(ARRAY[:order_id]::uuid[]));
UPDATE alerts SET status = 'resolved', resolved_at = now(), updated_at = now(), version = version + 1
WHERE kind = 'quotation_expiring' AND status IN ('open', 'acknowledged') AND subject_id = ANY(ARRAY[:order_id]::uuid[]) AND NOT (subject_key = ANY('{}'::text[]))
RETURNING id, kind, status, severity, subject_type, subject_id, subject_number, warehouse_id, customer_id, item_id,
          supplier_id, details, message, opened_at, acknowledged_at, acknowledged_by, acknowledgement_note, resolved_at,
          updated_at, version;
SELECT 'sales_order' AS subject_type, o.id AS subject_id, o.number AS subject_number, o.id::text AS subject_key,
       o.warehouse_id, o.customer_id, NULL::uuid AS item_id, NULL::uuid AS supplier_id,
       CASE WHEN current_date - o.requested_date > 14 THEN 'critical' ELSE 'warning' END AS severity,
       jsonb_build_object('requested_date', o.requested_date, 'days_late', current_date - o.requested_date,
           'status', o.status, 'ordered_quantity', trim_scale(l.ordered), 'shipped_quantity', trim_scale(l.shipped)) AS details,
       format('%s was requested for %s and is %s days late', o.number, o.requested_date, current_date - o.requested_date) AS message
FROM sales_orders o
CROSS JOIN LATERAL (SELECT coalesce(sum(quantity), 0) AS ordered, coalesce(sum(shipped_quantity), 0) AS shipped
                    FROM sales_order_lines WHERE sales_order_id = o.id) l
WHERE o.status IN ('confirmed', 'partially_shipped') AND o.requested_date IS NOT NULL
  AND current_date - o.requested_date > 0 AND o.id IN (SELECT unnest(ARRAY[:order_id]::uuid[]));
UPDATE alerts SET status = 'resolved', resolved_at = now(), updated_at = now(), version = version + 1
WHERE kind = 'sales_order_late' AND status IN ('open', 'acknowledged') AND subject_id = ANY(ARRAY[:order_id]::uuid[]) AND NOT (subject_key = ANY('{}'::text[]))
RETURNING id, kind, status, severity, subject_type, subject_id, subject_number, warehouse_id, customer_id, item_id,
          supplier_id, details, message, opened_at, acknowledged_at, acknowledged_by, acknowledgement_note, resolved_at,
          updated_at, version;
COMMIT;
SELECT k.id AS key_id, k.last_used_at, k.revoked_at, encode(k.secret_hash, 'hex') AS secret_hash,
       k.rate_limit_per_second, u.id AS user_id, u.name, u.email, u.role, u.active, u.team_id, u.data_scope
FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.prefix = :prefix;
BEGIN;
SELECT id, number, customer_id, warehouse_id, status, valid_until, invoice_status, currency, subtotal, tax_total, total,
       opportunity_id, requested_date, notes, external_ref, confirmed_at, created_at, updated_at, version
FROM sales_orders WHERE id = :order_id FOR UPDATE;
SELECT sales_order_id, line_no, item_id, description, quantity, unit_price, price_source, discount_percent, tax_rate,
       line_total, tax_amount, shipped_quantity, invoiced_quantity, returned_quantity, returned_uninvoiced_quantity
FROM sales_order_lines WHERE sales_order_id = ANY(ARRAY[:order_id]::uuid[]) ORDER BY sales_order_id, line_no;
SELECT sales_order_id, line_no, sum(cost)::bigint AS cost, sum(revenue - cost)::bigint AS margin
FROM shipment_lines WHERE sales_order_id = ANY(ARRAY[:order_id]::uuid[]) GROUP BY sales_order_id, line_no;
SELECT id, number, name, kind, email, phone, tax_id, website, billing_address IS NOT NULL AS billing_address,
       billing_address->>'line1' AS billing_line1, billing_address->>'line2' AS billing_line2,
       billing_address->>'city' AS billing_city, billing_address->>'region' AS billing_region,
       billing_address->>'postal_code' AS billing_postal_code, billing_address->>'country' AS billing_country,
       shipping_address IS NOT NULL AS shipping_address, shipping_address->>'line1' AS shipping_line1,
       shipping_address->>'line2' AS shipping_line2, shipping_address->>'city' AS shipping_city,
       shipping_address->>'region' AS shipping_region, shipping_address->>'postal_code' AS shipping_postal_code,
       shipping_address->>'country' AS shipping_country, tier, credit_limit, payment_terms_days, currency, tags,
       owner_id, status, external_ref, merged_into_id, created_at, updated_at, version
FROM customers WHERE id = :customer FOR NO KEY UPDATE;
SELECT id, name, document, condition_type, amount, currency, percent, steps, alert_after_hours, active, created_at,
       updated_at, version
FROM approval_rules WHERE document = 'sales_order' AND active ORDER BY created_at, id;
SELECT id, sku, name, description, type, unit, unit_price, currency, tier_prices, reorder_point, reorder_quantity,
       preferred_supplier_id, active, average_cost, standard_cost, external_ref, created_at, updated_at, version
FROM items WHERE id = ANY(ARRAY[:item1, :item2, :item3]::uuid[]) ORDER BY id;
SELECT id, sku, name, description, type, unit, unit_price, currency, tier_prices, reorder_point, reorder_quantity,
       preferred_supplier_id, active, average_cost, standard_cost, external_ref, created_at, updated_at, version
FROM items WHERE id = ANY(ARRAY[:item1, :item2, :item3]::uuid[]) ORDER BY id FOR SHARE;
SELECT id FROM warehouses WHERE id = ANY(ARRAY[:warehouse]::uuid[]);
INSERT INTO stock_balances (item_id, warehouse_id)
SELECT i, w FROM unnest(ARRAY[:item1, :item2, :item3]::uuid[], ARRAY[:warehouse, :warehouse, :warehouse]::uuid[]) AS p(i, w)
ORDER BY i, w ON CONFLICT DO NOTHING;
SELECT item_id, warehouse_id, on_hand, reserved FROM stock_balances
WHERE (item_id, warehouse_id) IN (
    SELECT i, w FROM unnest(ARRAY[:item1, :item2, :item3]::uuid[], ARRAY[:warehouse, :warehouse, :warehouse]::uuid[]) AS p(i, w))
ORDER BY item_id, warehouse_id FOR UPDATE;
UPDATE stock_balances SET on_hand = on_hand + 0, reserved = reserved + 1, updated_at = now(), version = version + 1
WHERE item_id = :item1 AND warehouse_id = :warehouse AND reserved + 1 >= 0 AND on_hand + 0 >= reserved + 1
RETURNING item_id, warehouse_id, on_hand, reserved;
UPDATE stock_balances SET on_hand = on_hand + 0, reserved = reserved + 1, updated_at = now(), version = version + 1
WHERE item_id = :item2 AND warehouse_id = :warehouse AND reserved + 1 >= 0 AND on_hand + 0 >= reserved + 1
RETURNING item_id, warehouse_id, on_hand, reserved;
UPDATE stock_balances SET on_hand = on_hand + 0, reserved = reserved + 1, updated_at = now(), version = version + 1
WHERE item_id = :item3 AND warehouse_id = :warehouse AND reserved + 1 >= 0 AND on_hand + 0 >= reserved + 1
RETURNING item_id, warehouse_id, on_hand, reserved;
INSERT INTO stock_reservations (reference_type, reference_id, reference_line, reference_number, item_id, warehouse_id, quantity)
VALUES ('sales_order', :order_id, 1, 'SO-000001', :item1, :warehouse, 1)
ON CONFLICT (reference_type, reference_id, reference_line) DO UPDATE
SET quantity = stock_reservations.quantity + excluded.quantity, item_id = excluded.item_id,
    warehouse_id = excluded.warehouse_id, updated_at = now(), version = stock_reservations.version + 1
WHERE (stock_reservations.item_id = excluded.item_id AND stock_reservations.warehouse_id = excluded.warehouse_id)
   OR stock_reservations.quantity = 0
RETURNING id;
INSERT INTO stock_reservations (reference_type, reference_id, reference_line, reference_number, item_id, warehouse_id, quantity)
VALUES ('sales_order', :order_id, 2, 'SO-000001', :item2, :warehouse, 1)
ON CONFLICT (reference_type, reference_id, reference_line) DO UPDATE
SET quantity = stock_reservations.quantity + excluded.quantity, item_id = excluded.item_id,
    warehouse_id = excluded.warehouse_id, updated_at = now(), version = stock_reservations.version + 1
WHERE (stock_reservations.item_id = excluded.item_id AND stock_reservations.warehouse_id = excluded.warehouse_id)
   OR stock_reservations.quantity = 0
RETURNING id;
INSERT INTO stock_reservations (reference_type, reference_id, reference_line, reference_number, item_id, warehouse_id, quantity)
VALUES ('sales_order', :order_id, 3, 'SO-000001', :item3, :warehouse, 1)
ON CONFLICT (reference_type, reference_id, reference_line) DO UPDATE
SET quantity = stock_reservations.quantity + excluded.quantity, item_id = excluded.item_id,
    warehouse_id = excluded.warehouse_id, updated_at = now(), version = stock_reservations.version + 1
WHERE (stock_reservations.item_id = excluded.item_id AND stock_reservations.warehouse_id = excluded.warehouse_id)
   OR stock_reservations.quantity = 0
RETURNING id;
INSERT INTO events (type, resource_type, resource_id, data, actor_user_id, actor_api_key_id)
VALUES ('stock.reserved', 'sales_order', :order_id, '{"id": "00000000-0000-0000-0000-000000000000", "lines": [{"cost": null, "margin": null, "item_id": "00000000-0000-0000-0000-000000000001", "line_no": 1, "quantity": 1, "tax_rate": 0, "line_total": 1000, "tax_amount": 0, "unit_price": 1000, "description": "Bench item 1", "price_source": "list_price", "discount_percent": 0, "shipped_quantity": 0, "invoiced_quantity": 0, "returned_quantity": 0}, {"cost": null, "margin": null, "item_id": "00000000-0000-0000-0000-000000000002", "line_no": 2, "quantity": 1, "tax_rate": 0, "line_total": 1000, "tax_amount": 0, "unit_price": 1000, "description": "Bench item 2", "price_source": "list_price", "discount_percent": 0, "shipped_quantity": 0, "invoiced_quantity": 0, "returned_quantity": 0}, {"cost": null, "margin": null, "item_id": "00000000-0000-0000-0000-000000000003", "line_no": 3, "quantity": 1, "tax_rate": 0, "line_total": 1000, "tax_amount": 0, "unit_price": 1000, "description": "Bench item 3", "price_source": "list_price", "discount_percent": 0, "shipped_quantity": 0, "invoiced_quantity": 0, "returned_quantity": 0}], "notes": null, "total": 3000, "number": "SO-000001", "status": "draft", "version": 1, "currency": "USD", "subtotal": 3000, "tax_total": 0, "created_at": "2026-12-05T19:10:48.139Z", "updated_at": "2026-12-05T19:10:48.139Z", "customer_id": "00000000-0000-0000-0000-000000000000", "valid_until": null, "confirmed_at": null, "external_ref": null, "warehouse_id": "00000000-0000-0000-0000-000000000000", "invoice_status": "not_invoiced", "opportunity_id": null, "requested_date": null}', NULL, NULL);
UPDATE sales_orders SET customer_id = :customer, warehouse_id = :warehouse, status = 'confirmed', valid_until = NULL,
    invoice_status = 'not_invoiced', currency = 'USD', subtotal = 3000, tax_total = 0, total = 3000,
    opportunity_id = NULL, requested_date = NULL, notes = NULL, external_ref = NULL, confirmed_at = now(),
    updated_at = now(), version = version + 1
WHERE id = :order_id;
SELECT id, number, customer_id, warehouse_id, status, valid_until, invoice_status, currency, subtotal, tax_total, total,
       opportunity_id, requested_date, notes, external_ref, confirmed_at, created_at, updated_at, version
FROM sales_orders WHERE id = :order_id;
SELECT sales_order_id, line_no, item_id, description, quantity, unit_price, price_source, discount_percent, tax_rate,
       line_total, tax_amount, shipped_quantity, invoiced_quantity, returned_quantity, returned_uninvoiced_quantity
FROM sales_order_lines WHERE sales_order_id = ANY(ARRAY[:order_id]::uuid[]) ORDER BY sales_order_id, line_no;
SELECT sales_order_id, line_no, sum(cost)::bigint AS cost, sum(revenue - cost)::bigint AS margin
FROM shipment_lines WHERE sales_order_id = ANY(ARRAY[:order_id]::uuid[]) GROUP BY sales_order_id, line_no;
INSERT INTO events (type, resource_type, resource_id, data, actor_user_id, actor_api_key_id)
VALUES ('sales_order.confirmed', 'sales_order', :order_id, '{"id": "00000000-0000-0000-0000-000000000000", "lines": [{"cost": null, "margin": null, "item_id": "00000000-0000-0000-0000-000000000001", "line_no": 1, "quantity": 1, "tax_rate": 0, "line_total": 1000, "tax_amount": 0, "unit_price": 1000, "description": "Bench item 1", "price_source": "list_price", "discount_percent": 0, "shipped_quantity": 0, "invoiced_quantity": 0, "returned_quantity": 0}, {"cost": null, "margin": null, "item_id": "00000000-0000-0000-0000-000000000002", "line_no": 2, "quantity": 1, "tax_rate": 0, "line_total": 1000, "tax_amount": 0, "unit_price": 1000, "description": "Bench item 2", "price_source": "list_price", "discount_percent": 0, "shipped_quantity": 0, "invoiced_quantity": 0, "returned_quantity": 0}, {"cost": null, "margin": null, "item_id": "00000000-0000-0000-0000-000000000003", "line_no": 3, "quantity": 1, "tax_rate": 0, "line_total": 1000, "tax_amount": 0, "unit_price": 1000, "description": "Bench item 3", "price_source": "list_price", "discount_percent": 0, "shipped_quantity": 0, "invoiced_quantity": 0, "returned_quantity": 0}], "notes": null, "total": 3000, "number": "SO-000001", "status": "confirmed", "version": 1, "currency": "USD", "subtotal": 3000, "tax_total": 0, "created_at": "2026-12-05T19:10:48.139Z", "updated_at": "2026-12-05T19:10:48.139Z", "customer_id": "00000000-0000-0000-0000-000000000000", "valid_until": null, "confirmed_at": null, "external_ref": null, "warehouse_id": "00000000-0000-0000-0000-000000000000", "invoice_status": "not_invoiced", "opportunity_id": null, "requested_date": null}', NULL, NULL);
SELECT kind, enabled, threshold, updated_at, version FROM alert_rules ORDER BY kind;
WITH owed AS (
    SELECT customer_id, currency, sum(amount) AS amount
    FROM (SELECT customer_id, currency, amount FROM (
              SELECT o.customer_id, o.currency, o.id AS order_id,
                     CASE WHEN billable = l.quantity THEN l.line_total + l.tax_amount
                          ELSE round_half_even((l.line_total + l.tax_amount) * billable / l.quantity) END AS amount
              FROM sales_orders o
              JOIN sales_order_lines l ON l.sales_order_id = o.id
              CROSS JOIN LATERAL (SELECT (CASE WHEN o.status = 'closed' THEN l.shipped_quantity ELSE l.quantity END)
                                         - l.invoiced_quantity - l.returned_uninvoiced_quantity AS billable) b
              WHERE o.status IN ('confirmed', 'partially_shipped', 'shipped', 'closed') AND billable > 0) u
          UNION ALL SELECT customer_id, currency, amount FROM (
              SELECT customer_id, currency, total - amount_paid - amount_credited AS amount FROM invoices WHERE status IN ('issued', 'partially_paid')
              UNION ALL SELECT customer_id, currency, -unapplied_amount FROM payments
              UNION ALL SELECT customer_id, currency, -unapplied_amount FROM credit_notes) r) a
    WHERE customer_id = ANY(ARRAY[:customer]::uuid[])
    GROUP BY customer_id, currency)
SELECT c.id, c.number, c.currency, c.credit_limit, coalesce(owed.amount, 0)::bigint AS used
FROM customers c
LEFT JOIN owed ON owed.customer_id = c.id AND owed.currency = c.currency
WHERE c.credit_limit IS NOT NULL AND c.credit_limit > 0 AND c.status <> 'archived' AND c.id = ANY(ARRAY[:customer]::uuid[])
  AND coalesce(owed.amount, 0) * 100 >= 90::numeric * c.credit_limit
ORDER BY c.id;
UPDATE alerts SET status = 'resolved', resolved_at = now(), updated_at = now(), version = version + 1
WHERE kind = 'credit_near_limit' AND status IN ('open', 'acknowledged') AND customer_id = ANY(ARRAY[:customer]::uuid[]) AND NOT (subject_key = ANY('{}'::text[]))
RETURNING id, kind, status, severity, subject_type, subject_id, subject_number, warehouse_id, customer_id, item_id,
          supplier_id, details, message, opened_at, acknowledged_at, acknowledged_by, acknowledgement_note, resolved_at,
          updated_at, version;
SELECT 'sales_order' AS subject_type, o.id AS subject_id, o.number AS subject_number, o.id::text AS subject_key,
       o.warehouse_id, o.customer_id, NULL::uuid AS item_id, NULL::uuid AS supplier_id, 'info' AS severity,
       jsonb_build_object('valid_until', o.valid_until, 'days_left', o.valid_until - current_date, 'total', o.total,
           'currency', o.currency) AS details,
       format('quotation %s expires on %s', o.number, o.valid_until) AS message
FROM sales_orders o
WHERE o.status = 'draft' AND o.valid_until IS NOT NULL
  AND o.valid_until - current_date BETWEEN 0 AND 7 AND o.id IN (SELECT unnest(ARRAY[:order_id]::uuid[]));
UPDATE alerts SET status = 'resolved', resolved_at = now(), updated_at = now(), version = version + 1
WHERE kind = 'quotation_expiring' AND status IN ('open', 'acknowledged') AND subject_id = ANY(ARRAY[:order_id]::uuid[]) AND NOT (subject_key = ANY('{}'::text[]))
RETURNING id, kind, status, severity, subject_type, subject_id, subject_number, warehouse_id, customer_id, item_id,
          supplier_id, details, message, opened_at, acknowledged_at, acknowledged_by, acknowledgement_note, resolved_at,
          updated_at, version;
SELECT 'sales_order' AS subject_type, o.id AS subject_id, o.number AS subject_number, o.id::text AS subject_key,
       o.warehouse_id, o.customer_id, NULL::uuid AS item_id, NULL::uuid AS supplier_id,
       CASE WHEN current_date - o.requested_date > 14 THEN 'critical' ELSE 'warning' END AS severity,
       jsonb_build_object('requested_date', o.requested_date, 'days_late', current_date - o.requested_date,
           'status', o.status, 'ordered_quantity', trim_scale(l.ordered), 'shipped_quantity', trim_scale(l.shipped)) AS details,
       format('%s was requested for %s and is %s days late', o.number, o.requested_date, current_date - o.requested_date) AS message
FROM sales_orders o
CROSS JOIN LATERAL (SELECT coalesce(sum(quantity), 0) AS ordered, coalesce(sum(shipped_quantity), 0) AS shipped
                    FROM sales_order_lines WHERE sales_order_id = o.id) l
WHERE o.status IN ('confirmed', 'partially_shipped') AND o.requested_date IS NOT NULL
  AND current_date - o.requested_date > 0 AND o.id IN (SELECT unnest(ARRAY[:order_id]::uuid[]));
UPDATE alerts SET status = 'resolved', resolved_at = now(), updated_at = now(), version = version + 1
WHERE kind = 'sales_order_late' AND status IN ('open', 'acknowledged') AND subject_id = ANY(ARRAY[:order_id]::uuid[]) AND NOT (subject_key = ANY('{}'::text[]))
RETURNING id, kind, status, severity, subject_type, subject_id, subject_number, warehouse_id, customer_id, item_id,
          supplier_id, details, message, opened_at, acknowledged_at, acknowledged_by, acknowledgement_note, resolved_at,
          updated_at, version;
SELECT 'item' AS subject_type, b.item_id AS subject_id, i.sku AS subject_number,
       b.item_id::text || '@' || b.warehouse_id::text AS subject_key, b.warehouse_id, NULL::uuid AS customer_id,
       b.item_id, i.preferred_supplier_id AS supplier_id,
       CASE WHEN b.on_hand - b.reserved + coalesce(inc.quantity, 0) <= 0 THEN 'critical' ELSE 'warning' END AS severity,
       jsonb_build_object('warehouse_id', b.warehouse_id, 'warehouse_code', w.code, 'on_hand', trim_scale(b.on_hand),
           'reserved', trim_scale(b.reserved), 'available', trim_scale(b.on_hand - b.reserved),
           'incoming', trim_scale(coalesce(inc.quantity, 0)), 'reorder_point', trim_scale(i.reorder_point)) AS details,
       format('%s in %s: available %s + incoming %s is at or below the reorder point %s', i.sku, w.code,
           trim_scale(b.on_hand - b.reserved), trim_scale(coalesce(inc.quantity, 0)), trim_scale(i.reorder_point)) AS message
FROM stock_balances b JOIN items i ON i.id = b.item_id JOIN warehouses w ON w.id = b.warehouse_id
LEFT JOIN stock_incoming inc ON inc.item_id = b.item_id AND inc.warehouse_id = b.warehouse_id
WHERE i.reorder_point IS NOT NULL AND i.type = 'stock'
  AND b.on_hand - b.reserved + coalesce(inc.quantity, 0) <= i.reorder_point AND b.item_id IN (SELECT unnest(ARRAY[:item1, :item2, :item3]::uuid[]));
UPDATE alerts SET status = 'resolved', resolved_at = now(), updated_at = now(), version = version + 1
WHERE kind = 'stock_below_reorder' AND status IN ('open', 'acknowledged') AND item_id = ANY(ARRAY[:item1, :item2, :item3]::uuid[]) AND NOT (subject_key = ANY('{}'::text[]))
RETURNING id, kind, status, severity, subject_type, subject_id, subject_number, warehouse_id, customer_id, item_id,
          supplier_id, details, message, opened_at, acknowledged_at, acknowledged_by, acknowledgement_note, resolved_at,
          updated_at, version;
COMMIT;
