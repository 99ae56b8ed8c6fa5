import Core
import FoundationEssentials
import Postgres

/// SQL of `concord seed --shipped-lines`: shipped orders made inside PostgreSQL from
/// `generate_series`, a batch per statement, for the margin, KPI and RFM benchmarks.
extension SalesStore {
    /// The synthetic catalog (items `SEED-01` … `SEED-20` at fixed prices and average costs)
    /// and warehouse `SEED`, made when missing; returns the warehouse id.
    func ensureSyntheticCatalog(currency: String, in tx: Transaction) throws -> UUID {
        // A batch of 100,000 lines may outlast the pool's statement timeout on a busy machine.
        try tx.execute("SET LOCAL statement_timeout = 0")
        try tx.execute(
            """
            INSERT INTO items (sku, name, type, unit_price, currency, average_cost)
            SELECT 'SEED-' || lpad(k::text, 2, '0'), 'Seed item ' || k, 'stock', 500 + k * 250, \(currency), 300 + k * 150
            FROM generate_series(1, 20) AS k
            WHERE NOT EXISTS (SELECT 1 FROM items WHERE lower(sku) = lower('SEED-' || lpad(k::text, 2, '0')))
            """)
        try tx.execute(
            """
            INSERT INTO warehouses (code, name) SELECT 'SEED', 'Seed warehouse'
            WHERE NOT EXISTS (SELECT 1 FROM warehouses WHERE lower(code) = 'seed')
            """)
        try tx.execute(
            """
            CREATE TEMP TABLE seed_items ON COMMIT DROP AS
            SELECT row_number() OVER (ORDER BY sku) AS k, id, unit_price, average_cost FROM items WHERE sku LIKE 'SEED-%'
            """)
        // Customers by ordinal, so order n picks one with arithmetic rather than a random scan.
        try tx.execute(
            """
            CREATE TEMP TABLE seed_customers ON COMMIT DROP AS
            SELECT row_number() OVER (ORDER BY id) AS rn, id FROM customers WHERE status = 'active' AND currency = \(currency)
            """)
        try tx.execute("CREATE UNIQUE INDEX ON seed_customers (rn)")
        return try tx.first("SELECT id FROM warehouses WHERE lower(code) = 'seed'")!.decode("id")
    }

    /// Customers the synthetic orders may go to.
    func syntheticCustomerCount(in tx: Transaction) throws -> Int64 {
        try tx.first("SELECT count(*) AS n FROM seed_customers")!.decode("n")
    }

    /// Orders `first … last` of the synthetic series, each with two lines shipped in full by
    /// one shipment: confirmed over the last two years, shipped 1–72 hours later, costed at
    /// the seed items' average cost. Writes orders, lines, shipments and shipment lines (no
    /// stock movements, events or history, as befits test data). Returns the lines made.
    func insertSyntheticShipped(
        from first: Int64, through last: Int64, customers: Int64, warehouse: UUID, currency: String,
        in tx: Transaction
    ) throws -> Int {
        try tx.execute(
            """
            CREATE TEMP TABLE seed_batch ON COMMIT DROP AS
            SELECT n, gen_random_uuid() AS id, gen_random_uuid() AS shipment_id, c.id AS customer_id,
                   confirmed, confirmed + make_interval(hours => (1 + n % 72)::int) AS shipped
            FROM generate_series(\(first)::bigint, \(last)::bigint) AS n
            JOIN seed_customers c ON c.rn = 1 + (n * 7919) % \(customers)
            CROSS JOIN LATERAL (SELECT now() - make_interval(secs => ((n * 104729) % 63072000)::double precision) AS confirmed) t
            """)
        try tx.execute(
            """
            CREATE TEMP TABLE seed_lines ON COMMIT DROP AS
            SELECT b.id AS order_id, b.shipment_id, b.shipped, l.line_no, i.id AS item_id, q.quantity, i.unit_price,
                   (q.quantity * i.unit_price)::bigint AS line_total, i.average_cost,
                   (q.quantity * i.average_cost)::bigint AS cost
            FROM seed_batch b
            CROSS JOIN generate_series(1, 2) AS l(line_no)
            JOIN seed_items i ON i.k = 1 + (b.n * 31 + l.line_no * 7) % 20
            CROSS JOIN LATERAL (SELECT (1 + (b.n + l.line_no) % 5)::numeric(18, 3) AS quantity) q
            """)
        try tx.execute(
            """
            INSERT INTO sales_orders (id, customer_id, warehouse_id, status, invoice_status, currency, subtotal, tax_total, total,
                                      requested_date, confirmed_at, first_shipped_at, last_shipped_at, created_at, updated_at)
            SELECT b.id, b.customer_id, \(warehouse), 'shipped', 'not_invoiced', \(currency), s.total, 0, s.total,
                   (b.confirmed + interval '2 days')::date, b.confirmed, b.shipped, b.shipped, b.confirmed, b.shipped
            FROM seed_batch b
            JOIN (SELECT order_id, sum(line_total)::bigint AS total FROM seed_lines GROUP BY order_id) s ON s.order_id = b.id
            ORDER BY b.n
            """)
        try tx.execute(
            """
            INSERT INTO sales_order_lines (sales_order_id, line_no, item_id, quantity, unit_price, price_source, line_total,
                                           tax_amount, shipped_quantity)
            SELECT order_id, line_no, item_id, quantity, unit_price, 'list_price', line_total, 0, quantity FROM seed_lines
            """)
        try tx.execute(
            """
            INSERT INTO shipments (id, sales_order_id, created_at)
            SELECT shipment_id, id, shipped FROM seed_batch ORDER BY n
            """)
        let made = try tx.execute(
            """
            INSERT INTO shipment_lines (shipment_id, line_no, quantity, sales_order_id, item_id, currency, shipped_at, unit_cost,
                                        cost, revenue)
            SELECT shipment_id, line_no, quantity, order_id, item_id, \(currency), shipped, average_cost, cost, line_total
            FROM seed_lines
            """)
        try tx.execute("DROP TABLE seed_lines")
        try tx.execute("DROP TABLE seed_batch")
        return made
    }

    /// How many synthetic orders exist (their shipments are numbered after them), so a second
    /// run continues the series.
    func syntheticOrderCount(in tx: Transaction) throws -> Int64 {
        try tx.first(
            """
            SELECT count(*) AS n FROM sales_orders o JOIN warehouses w ON w.id = o.warehouse_id WHERE lower(w.code) = 'seed'
            """)!.decode("n")
    }

    func analyzeShipped(in tx: Transaction) throws {
        for table in ["sales_orders", "sales_order_lines", "shipments", "shipment_lines"] {
            try tx.execute("ANALYZE \(unsafeRaw: table)")
        }
    }
}
