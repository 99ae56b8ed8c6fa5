-- An API key may carry its own rate limit (requests per second; NULL: the installation's
-- CONCORD_RATE_LIMIT), set by an admin on create or with PATCH /users/{id}/api-keys/{key_id}.
ALTER TABLE api_keys ADD COLUMN rate_limit_per_second integer
    CHECK (rate_limit_per_second BETWEEN 1 AND 1000000);

-- A warehouse's and a supplier's address is the address object every other address uses
-- (line1, line2, city, region, postal_code, country); an existing free-text address moves into
-- line1, its line breaks joined with ", ".
ALTER TABLE warehouses DROP CONSTRAINT IF EXISTS warehouses_address_check;
ALTER TABLE warehouses ALTER COLUMN address TYPE jsonb USING
    CASE WHEN address IS NULL THEN NULL
         ELSE jsonb_build_object('line1', regexp_replace(btrim(address), '\s*\r?\n\s*', ', ', 'g'), 'line2', NULL,
                                 'city', NULL, 'region', NULL, 'postal_code', NULL, 'country', NULL)
    END;
ALTER TABLE warehouses ADD CONSTRAINT warehouses_address_is_object
    CHECK (address IS NULL OR jsonb_typeof(address) = 'object');

ALTER TABLE suppliers DROP CONSTRAINT IF EXISTS suppliers_address_check;
ALTER TABLE suppliers ALTER COLUMN address TYPE jsonb USING
    CASE WHEN address IS NULL THEN NULL
         ELSE jsonb_build_object('line1', regexp_replace(btrim(address), '\s*\r?\n\s*', ', ', 'g'), 'line2', NULL,
                                 'city', NULL, 'region', NULL, 'postal_code', NULL, 'country', NULL)
    END;
ALTER TABLE suppliers ADD CONSTRAINT suppliers_address_is_object
    CHECK (address IS NULL OR jsonb_typeof(address) = 'object');
