-- The statement GET /me runs to authenticate its key (Sources/Platform/Users/Store.swift,
-- `credential`), for pgbench -M prepared; :prefix is the bench key's prefix.
SELECT k.id AS key_id, k.name AS key_name, k.prefix, k.created_at AS key_created_at, k.last_used_at, k.revoked_at,
       k.version AS key_version,
       encode(k.secret_hash, 'hex') AS secret_hash,
       u.id, u.name, u.email, u.role, u.active, u.created_at, u.updated_at, u.version
FROM api_keys k JOIN users u ON u.id = k.user_id
WHERE k.prefix = :prefix;
