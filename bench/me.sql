-- The statement GET /me runs to authenticate its key (Sources/Platform/Users/Store.swift,
-- `credential`), for pgbench -M prepared; :prefix is the bench key's prefix.
SELECT k.id AS key_id, k.last_used_at, k.revoked_at, encode(k.secret_hash, 'hex') AS secret_hash,
       k.rate_limit_per_second,
       u.id AS user_id, u.name, u.email, u.role, u.active, u.team_id, u.data_scope
FROM api_keys k JOIN users u ON u.id = k.user_id
WHERE k.prefix = :prefix;
