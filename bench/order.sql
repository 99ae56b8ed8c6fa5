-- What POST /sales-orders (three lines) and POST /sales-orders/{id}/confirm run, statement
-- for statement in the main (Sources/Sales/Store.swift, Sources/Inventory/Store.swift,
-- Sources/Customers/Store.swift, the event outbox), here in one transaction, for pgbench
-- -M prepared. Variables: prefix (the bench key), customer, warehouse, item1..item3.
SELECT k.id AS key_id, k.last_used_at, k.revoked_at, encode(k.secret_hash, 'hex') AS secret_hash,
       u.id AS user_id, u.name, u.email, u.role, u.active, u.team_id, u.data_scope
FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.prefix = :prefix;
BEGIN;
SELECT id, number, tier, currency, status, credit_limit FROM customers WHERE id = :customer;
SELECT id, code FROM warehouses WHERE id = :warehouse;
SELECT id, sku, name, type, unit_price, currency, tier_prices, active FROM items WHERE id = ANY(ARRAY[:item1, :item2, :item3]::uuid[]);
SELECT discount_percent FROM pricing_tiers WHERE tier = 'standard';
INSERT INTO sales_orders (customer_id, warehouse_id, status, currency, subtotal, tax_total, total)
VALUES (:customer, :warehouse, 'draft', 'USD', 3000, 0, 3000) RETURNING id AS order_id \gset
INSERT INTO sales_order_lines (sales_order_id, line_no, item_id, description, quantity, unit_price, price_source, line_total, tax_amount)
VALUES (:order_id, 1, :item1, 'Bench item', 1, 1000, 'list_price', 1000, 0),
       (:order_id, 2, :item2, 'Bench item', 1, 1000, 'list_price', 1000, 0),
       (:order_id, 3, :item3, 'Bench item', 1, 1000, 'list_price', 1000, 0);
SELECT id, number, status, total FROM sales_orders WHERE id = :order_id;
SELECT line_no, item_id, quantity FROM sales_order_lines WHERE sales_order_id = :order_id ORDER BY line_no;
INSERT INTO events (type, resource_type, resource_id, data) VALUES ('sales_order.created', 'sales_order', :order_id, '{}');
SELECT k.id AS key_id, k.last_used_at, k.revoked_at, encode(k.secret_hash, 'hex') AS secret_hash,
       u.id AS user_id, u.name, u.email, u.role, u.active, u.team_id, u.data_scope
FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.prefix = :prefix;
SELECT id, status, total FROM sales_orders WHERE id = :order_id FOR UPDATE;
SELECT line_no, item_id, quantity FROM sales_order_lines WHERE sales_order_id = :order_id ORDER BY line_no;
SELECT id, status, credit_limit FROM customers WHERE id = :customer FOR NO KEY UPDATE;
SELECT id, type FROM items WHERE id = ANY(ARRAY[:item1, :item2, :item3]::uuid[]) ORDER BY id FOR SHARE;
SELECT item_id, on_hand, reserved FROM stock_balances
WHERE (item_id, warehouse_id) IN ((:item1, :warehouse), (:item2, :warehouse), (:item3, :warehouse))
ORDER BY item_id, warehouse_id FOR UPDATE;
UPDATE stock_balances SET reserved = reserved + 1, updated_at = now(), version = version + 1
WHERE item_id = :item1 AND warehouse_id = :warehouse AND on_hand - reserved >= 1;
UPDATE stock_balances SET reserved = reserved + 1, updated_at = now(), version = version + 1
WHERE item_id = :item2 AND warehouse_id = :warehouse AND on_hand - reserved >= 1;
UPDATE stock_balances SET reserved = reserved + 1, updated_at = now(), version = version + 1
WHERE item_id = :item3 AND warehouse_id = :warehouse AND on_hand - reserved >= 1;
INSERT INTO stock_reservations (reference_type, reference_id, reference_line, item_id, warehouse_id, quantity)
VALUES ('sales_order', :order_id, 1, :item1, :warehouse, 1), ('sales_order', :order_id, 2, :item2, :warehouse, 1),
       ('sales_order', :order_id, 3, :item3, :warehouse, 1);
INSERT INTO events (type, resource_type, resource_id, data) VALUES ('stock.reserved', 'sales_order', :order_id, '{}');
UPDATE sales_orders SET status = 'confirmed', confirmed_at = now(), updated_at = now(), version = version + 1 WHERE id = :order_id;
INSERT INTO events (type, resource_type, resource_id, data) VALUES ('sales_order.confirmed', 'sales_order', :order_id, '{}');
COMMIT;
