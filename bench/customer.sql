-- GET /customers/{number}: the statements the endpoint runs, for pgbench -M prepared.
-- The key's credential (Sources/Platform/Users/Store.swift, `credential`), then the customer
-- by number (Sources/Customers/Store.swift, `customer`). :prefix is the bench key's prefix,
-- :customers how many synthetic customers `concord seed --customers` made.
\set n random(1, :customers)
SELECT k.id AS key_id, k.last_used_at, k.revoked_at, encode(k.secret_hash, 'hex') AS secret_hash,
       k.rate_limit_per_second,
       u.id AS user_id, u.name, u.email, u.role, u.active, u.team_id, u.data_scope
FROM api_keys k JOIN users u ON u.id = k.user_id
WHERE k.prefix = :prefix;
SELECT id, number, name, kind, email, phone, tax_id, website,
       billing_address IS NOT NULL AS billing_address, billing_address->>'line1' AS billing_line1, billing_address->>'line2' AS billing_line2, billing_address->>'city' AS billing_city, billing_address->>'region' AS billing_region, billing_address->>'postal_code' AS billing_postal_code, billing_address->>'country' AS billing_country,
       shipping_address IS NOT NULL AS shipping_address, shipping_address->>'line1' AS shipping_line1, shipping_address->>'line2' AS shipping_line2, shipping_address->>'city' AS shipping_city, shipping_address->>'region' AS shipping_region, shipping_address->>'postal_code' AS shipping_postal_code, shipping_address->>'country' AS shipping_country,
       tier, credit_limit, payment_terms_days, currency, tags, owner_id, status, external_ref, merged_into_id,
       created_at, updated_at, version
FROM customers WHERE number = document_number('CUST', :n);
