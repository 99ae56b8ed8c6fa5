-- An API key may carry its own rate limit (requests per second; NULL: the installation's
-- CONCORD_RATE_LIMIT), set by an admin on create or with PATCH /users/{id}/api-keys/{key_id}.
ALTER TABLE api_keys ADD COLUMN rate_limit_per_second integer
    CHECK (rate_limit_per_second BETWEEN 1 AND 1000000);

-- A warehouse's and a supplier's address is the address object every other address uses
-- (line1, line2, city, region, postal_code, country); an existing free-text address moves into
-- line1, its line breaks joined with ", ". line1 holds at most 200 characters, as the API
-- checks on every later edit of the record, so a longer text stops the migration naming the
-- rows to shorten first, rather than being cut or leaving records no edit can save.
CREATE FUNCTION pg_temp.address_object(text) RETURNS jsonb LANGUAGE sql IMMUTABLE RETURN
    CASE WHEN $1 IS NULL THEN NULL
         ELSE jsonb_build_object('line1', regexp_replace(btrim($1), '\s*\r?\n\s*', ', ', 'g'), 'line2', NULL,
                                 'city', NULL, 'region', NULL, 'postal_code', NULL, 'country', NULL)
    END;

DO $$
DECLARE
    long_rows text;
BEGIN
    SELECT string_agg(what, ', ') INTO long_rows FROM (
        SELECT 'warehouse ' || code AS what FROM warehouses
        WHERE length(pg_temp.address_object(address)->>'line1') > 200
        UNION ALL
        SELECT 'supplier ' || number FROM suppliers
        WHERE length(pg_temp.address_object(address)->>'line1') > 200) AS too_long;
    IF long_rows IS NOT NULL THEN
        RAISE EXCEPTION 'addresses longer than the 200 characters of an address line: %', long_rows
            USING HINT = 'shorten these addresses with the current version, then upgrade';
    END IF;
END
$$;

ALTER TABLE warehouses DROP CONSTRAINT IF EXISTS warehouses_address_check;
ALTER TABLE warehouses ALTER COLUMN address TYPE jsonb USING pg_temp.address_object(address);
ALTER TABLE warehouses ADD CONSTRAINT warehouses_address_is_object
    CHECK (address IS NULL OR jsonb_typeof(address) = 'object');

ALTER TABLE suppliers DROP CONSTRAINT IF EXISTS suppliers_address_check;
ALTER TABLE suppliers ALTER COLUMN address TYPE jsonb USING pg_temp.address_object(address);
ALTER TABLE suppliers ADD CONSTRAINT suppliers_address_is_object
    CHECK (address IS NULL OR jsonb_typeof(address) = 'object');
