import Core
import FoundationEssentials
import Postgres

/// SQL of `concord seed --customers`: synthetic customers made inside PostgreSQL from
/// `generate_series`, so a million rows cost one statement per batch rather than a million
/// round trips.
extension CustomerStore {
    /// Whether any customer exists that the synthetic seed did not make (its `external_ref`
    /// starts with `seed-`): real data the seed must not mix with unless forced.
    func hasCustomersNotSeeded(in tx: Transaction) throws -> Bool {
        try tx.first(
            """
            SELECT EXISTS (SELECT 1 FROM customers WHERE external_ref IS NULL OR external_ref NOT LIKE 'seed-%') AS present
            """)!.decode("present", as: Bool.self)
    }

    /// The highest synthetic ordinal so far (0 when none), so a second run continues the series.
    func lastSyntheticOrdinal(in tx: Transaction) throws -> Int64 {
        try tx.first(
            """
            SELECT coalesce(max(substring(external_ref FROM 6)::bigint), 0) AS last FROM customers
            WHERE external_ref ~ '^seed-[0-9]+$'
            """)!.decode("last", as: Int64.self)
    }

    /// Drops the customers table's GIN indexes (trigram search, tags) and returns their
    /// definitions for `recreate`: filling a GIN index row by row costs several times more than
    /// building it once over the finished table.
    func dropSearchIndexes(in tx: Transaction) throws -> [String] {
        let definitions = try tx.query(
            """
            SELECT i.relname AS name, pg_get_indexdef(i.oid) AS definition
            FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_am am ON am.oid = i.relam
            WHERE x.indrelid = 'customers'::regclass AND am.amname = 'gin'
            ORDER BY i.relname
            """
        ).rows.map { (try $0.decode("name", as: String.self), try $0.decode("definition", as: String.self)) }
        for (name, _) in definitions {
            _ = try tx.execute(
                "DROP INDEX \(unsafeRaw: "\"" + name.replacingAll("\"", with: "\"\"") + "\"")")
        }
        return definitions.map(\.1)
    }

    /// Builds the indexes `dropSearchIndexes` removed, from their own definitions.
    func recreate(indexes definitions: [String], in tx: Transaction) throws {
        _ = try tx.execute("SET LOCAL maintenance_work_mem = '256MB'")
        // One index over a million rows may outlast the pool's statement timeout on a busy machine.
        _ = try tx.execute("SET LOCAL statement_timeout = 0")
        for definition in definitions { _ = try tx.execute(SQL(unsafeRaw: definition)) }
    }

    /// Inserts customers `first ... last` of the synthetic series: varied names, people and
    /// companies, tiers, credit limits, payment terms, tags and addresses, created over the
    /// last three years; unique emails and `external_ref`s (`seed-<n>`). With `owner`, every
    /// `owner.every`-th of the series is theirs (spread over the creation order). Returns how many.
    func insertSynthetic(
        from first: Int64, through last: Int64, currency: String, owner: SyntheticOwner? = nil, in tx: Transaction
    ) throws -> Int {
        try tx.execute(
            """
            INSERT INTO customers (name, kind, email, phone, billing_address, shipping_address, tier, credit_limit,
                                   payment_terms_days, currency, tags, status, external_ref, created_at, updated_at,
                                   owner_id)
            SELECT (ARRAY['Acme', 'Globex', 'Initech', 'Umbrella', 'Stark', 'Wayne', 'Wonka', 'Hooli', 'Vandelay',
                          'Soylent', 'Tyrell', 'Cyberdyne', 'Aperture', 'Oceanic', 'Massive'])[1 + (n * 7) % 15]
                   || ' ' || (ARRAY['Trading', 'Logistics', 'Foods', 'Systems', 'Retail', 'Partners', 'Industries',
                                    'Labs', 'Supply', 'Holdings'])[1 + (n * 13) % 10] || ' ' || n,
                   CASE WHEN n % 5 = 0 THEN 'person' ELSE 'company' END,
                   'buyer' || n || '@customer' || (n % 97) || '.example.com',
                   '+1-555-' || lpad((n % 10000)::text, 4, '0'),
                   address, address,
                   (ARRAY['standard', 'standard', 'standard', 'silver', 'gold', 'platinum'])[1 + n % 6],
                   CASE WHEN n % 3 = 0 THEN NULL ELSE (n % 50 + 1) * 100000 END,
                   (ARRAY[15, 30, 30, 45, 60])[1 + n % 5],
                   \(currency),
                   CASE n % 4 WHEN 0 THEN ARRAY['wholesale'] WHEN 1 THEN ARRAY['retail'] ELSE '{}'::text[] END,
                   CASE WHEN n % 50 = 0 THEN 'blocked' ELSE 'active' END,
                   'seed-' || n,
                   created, created,
                   CASE WHEN n % \(Int64(owner?.every ?? 1)) = 0 THEN \(owner?.id)::uuid END
            FROM generate_series(\(first)::bigint, \(last)::bigint) AS n,
                 LATERAL (SELECT now() - make_interval(secs => ((n * 7919) % 94608000)::double precision) AS created,
                                 jsonb_build_object(
                                     'line1', (n % 900 + 1) || ' Market Street', 'line2', NULL,
                                     'city', (ARRAY['Berlin', 'Paris', 'Austin', 'Osaka', 'Lyon'])[1 + n % 5],
                                     'region', NULL, 'postal_code', lpad((n % 99999)::text, 5, '0'),
                                     'country', (ARRAY['DE', 'FR', 'US', 'JP', 'FR'])[1 + n % 5]) AS address) AS made
            """)
    }

    /// Fresh planner statistics after a bulk load, so lists and search plan for the new size.
    func analyze(in tx: Transaction) throws {
        _ = try tx.execute("ANALYZE customers")
    }
}
