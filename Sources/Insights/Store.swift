import Core
import FoundationEssentials
import Platform
import Postgres

/// The caller's data scope as SQL: the one spot where it enters every report statement.
/// Reports count only the records the viewer may see (API.md "Permissions"): what follows a
/// customer by the customer's owner, leads by their owner, opportunities by either.
struct ReportScope: Sendable {
    let records: RecordScope

    init(viewer: Principal?) { records = viewer?.scope ?? .all }

    /// Every customer (the shared RFM snapshot).
    static let everyone = ReportScope(viewer: nil)

    /// True when the conditions below filter anything (then customer joins are needed).
    var restricts: Bool { !records.seesEverything }

    /// Rows about the customer in `column` (orders, shipments, invoices) the viewer may see.
    func customers(_ column: String) -> SQL { records.filter(.customer(column)) }

    /// Leads by the owner in `column`.
    func leads(_ column: String) -> SQL { records.filter(.owner(column)) }

    /// Opportunities (unqualified `owner_id` and `customer_id`): their own owner or their
    /// customer's grants access.
    var opportunities: SQL { records.filter(.opportunity) }
}

/// SQL of the management reports. Reads only: every figure is a sum over rows other modules
/// wrote (shipment lines carry their cost and revenue, orders their dates).
struct InsightsStore: Sendable {
    // MARK: Margin

    /// What shipped less what came back: shipment lines, and return lines with quantity,
    /// revenue and cost negated at the time of the return (returns reverse revenue and cost).
    static let goodsMoved: SQL = """
        (SELECT sales_order_id, item_id, currency, shipped_at, quantity, revenue, cost FROM shipment_lines
         UNION ALL
         SELECT sales_order_id, item_id, currency, returned_at, -quantity, -revenue, -cost FROM return_lines)
        """

    /// Shipped revenue and cost per group and currency in `period`.
    func margin(by grouping: MarginGrouping, period: ReportPeriod, scope: ReportScope, in tx: Transaction) throws
        -> [MarginRow]
    {
        let key: SQL
        var joins: SQL = ""
        let needsOrder = grouping == .customer || grouping == .owner || scope.restricts
        if needsOrder { joins = "JOIN sales_orders o ON o.id = l.sales_order_id" }
        switch grouping {
        case .month: key = "to_char(l.shipped_at AT TIME ZONE 'UTC', 'YYYY-MM')"
        case .customer: key = "o.customer_id::text"
        case .item: key = "l.item_id::text"
        case .owner:
            key = "c.owner_id::text"
            joins = "\(joins) JOIN customers c ON c.id = o.customer_id"
        }
        let visible = needsOrder ? scope.customers("o.customer_id") : "TRUE"
        let order: SQL = grouping == .month ? "key, l.currency" : "revenue DESC, key, l.currency"
        return try tx.query(
            """
            SELECT \(key) AS key, l.currency, sum(l.quantity) AS quantity, sum(l.revenue)::bigint AS revenue,
                   sum(l.cost)::bigint AS cost
            FROM \(Self.goodsMoved) l \(joins)
            WHERE l.shipped_at >= \(period.from)::date AND l.shipped_at < \(period.to)::date + 1 AND \(visible)
            GROUP BY 1, l.currency ORDER BY \(order)
            """
        ).rows.map { row in
            MarginRow(
                key: try row.decodeIfPresent("key"), currency: try row.decode("currency"),
                quantity: try row.decode("quantity"), revenue: try row.decode("revenue"), cost: try row.decode("cost"))
        }
    }

    // MARK: KPIs

    /// Orders confirmed in the period (not cancelled) in `currency`: count and Σ subtotal.
    func orders(period: ReportPeriod, currency: String, scope: ReportScope, in tx: Transaction) throws -> (
        count: Int64, value: Int64, otherCurrency: Int64
    ) {
        let row = try tx.first(
            """
            SELECT count(*) FILTER (WHERE o.currency = \(currency)) AS count,
                   coalesce(sum(o.subtotal) FILTER (WHERE o.currency = \(currency)), 0)::bigint AS value,
                   count(*) FILTER (WHERE o.currency <> \(currency)) AS other
            FROM sales_orders o
            WHERE o.confirmed_at >= \(period.from)::date AND o.confirmed_at < \(period.to)::date + 1
              AND o.status NOT IN ('draft', 'cancelled') AND \(scope.customers("o.customer_id"))
            """)!
        return (try row.decode("count"), try row.decode("value"), try row.decode("other"))
    }

    /// Σ revenue and cost of what shipped in the period in `currency`.
    func shipped(period: ReportPeriod, currency: String, scope: ReportScope, in tx: Transaction) throws -> (
        revenue: Int64, cost: Int64
    ) {
        let join: SQL = scope.restricts ? "JOIN sales_orders o ON o.id = l.sales_order_id" : ""
        let visible = scope.restricts ? scope.customers("o.customer_id") : "TRUE"
        let row = try tx.first(
            """
            SELECT coalesce(sum(l.revenue), 0)::bigint AS revenue, coalesce(sum(l.cost), 0)::bigint AS cost
            FROM \(Self.goodsMoved) l \(join)
            WHERE l.shipped_at >= \(period.from)::date AND l.shipped_at < \(period.to)::date + 1
              AND l.currency = \(currency) AND \(visible)
            """)!
        return (try row.decode("revenue"), try row.decode("cost"))
    }

    /// Opportunities closed in the period: won, lost, and the median of won ones' days from
    /// creation to close as (sum of the middle one or two values in milliseconds, their count).
    func opportunities(period: ReportPeriod, scope: ReportScope, in tx: Transaction) throws -> (
        won: Int64, lost: Int64, medianMillis: (sum: Int64, count: Int64)
    ) {
        let closed: SQL = """
            closed_at >= \(period.from)::date AND closed_at < \(period.to)::date + 1 AND \(scope.opportunities)
            """
        let counts = try tx.first(
            """
            SELECT count(*) FILTER (WHERE stage = 'won') AS won, count(*) FILTER (WHERE stage = 'lost') AS lost
            FROM opportunities WHERE \(closed)
            """)!
        let median = try Self.median(
            "(extract(epoch FROM closed_at - created_at) * 1000)::bigint",
            from: "opportunities WHERE stage = 'won' AND \(closed)", in: tx)
        return (try counts.decode("won"), try counts.decode("lost"), median)
    }

    /// Leads created in the period by `source`: how many, and how many are converted.
    func leadConversion(period: ReportPeriod, scope: ReportScope, in tx: Transaction) throws -> [(
        source: String, leads: Int64, converted: Int64
    )] {
        try tx.query(
            """
            SELECT source, count(*) AS leads, count(*) FILTER (WHERE status = 'converted') AS converted
            FROM leads
            WHERE created_at >= \(period.from)::date AND created_at < \(period.to)::date + 1 AND \(scope.leads("owner_id"))
            GROUP BY source ORDER BY source
            """
        ).rows.map { (try $0.decode("source"), try $0.decode("leads"), try $0.decode("converted")) }
    }

    /// Orders confirmed in the period that shipped: the median milliseconds from confirmation
    /// to their first shipment, as the middle values' (sum, count).
    func confirmToShipment(period: ReportPeriod, scope: ReportScope, in tx: Transaction) throws -> (
        sum: Int64, count: Int64
    ) {
        try Self.median(
            "(extract(epoch FROM first_shipped_at - confirmed_at) * 1000)::bigint",
            from: """
                sales_orders o WHERE o.confirmed_at >= \(period.from)::date AND o.confirmed_at < \(period.to)::date + 1
                AND o.first_shipped_at IS NOT NULL AND \(scope.customers("o.customer_id"))
                """, in: tx)
    }

    /// Orders (not cancelled) whose `requested_date` falls in the period and is due: shipped
    /// in full, or `requested_date` before `today`; and how many of them shipped in full by
    /// their requested date (UTC).
    func onTime(period: ReportPeriod, today: LocalDate, scope: ReportScope, in tx: Transaction) throws -> (
        due: Int64, onTime: Int64
    ) {
        let row = try tx.first(
            """
            SELECT count(*) AS due,
                   count(*) FILTER (WHERE o.status IN ('shipped', 'closed') AND o.last_shipped_at IS NOT NULL
                                      AND (o.last_shipped_at AT TIME ZONE 'UTC')::date <= o.requested_date) AS on_time
            FROM sales_orders o
            WHERE o.requested_date BETWEEN \(period.from)::date AND \(period.to)::date
              AND o.status NOT IN ('draft', 'cancelled')
              AND ((o.status IN ('shipped', 'closed') AND o.last_shipped_at IS NOT NULL) OR o.requested_date < \(today)::date)
              AND \(scope.customers("o.customer_id"))
            """)!
        return (try row.decode("due"), try row.decode("on_time"))
    }

    /// Stock value now (Σ on hand × average cost) and the value the ledger says came in (or,
    /// negative, left) since each of two instants: Σ quantity × unit cost of the movements at
    /// or after `from` and after `to`, movements without a unit cost at today's average. In
    /// thousandths of a minor unit, so the caller rounds each figure once.
    func stockValues(period: ReportPeriod, in tx: Transaction) throws -> (
        now: Int64, sinceStart: Int64, sinceEnd: Int64
    ) {
        let row = try tx.first(
            """
            SELECT (SELECT coalesce(sum(b.on_hand * i.average_cost * 1000), 0)::bigint
                    FROM stock_balances b JOIN items i ON i.id = b.item_id WHERE b.on_hand <> 0) AS now,
                   coalesce(sum(m.quantity * coalesce(m.unit_cost, i.average_cost) * 1000), 0)::bigint AS since_start,
                   coalesce(sum(m.quantity * coalesce(m.unit_cost, i.average_cost) * 1000)
                            FILTER (WHERE m.created_at >= \(period.to)::date + 1), 0)::bigint AS since_end
            FROM stock_movements m JOIN items i ON i.id = m.item_id
            WHERE m.created_at >= \(period.from)::date
            """)!
        return (try row.decode("now"), try row.decode("since_start"), try row.decode("since_end"))
    }

    /// Receivables in `currency`: open and overdue balances now (issued and partly paid
    /// invoices), and the total invoiced (issued, not void) in the period.
    func receivables(period: ReportPeriod, currency: String, today: LocalDate, scope: ReportScope, in tx: Transaction)
        throws -> (open: Int64, overdue: Int64, invoiced: Int64)
    {
        let row = try tx.first(
            """
            SELECT coalesce(sum(total - amount_paid - amount_credited)
                            FILTER (WHERE status IN ('issued', 'partially_paid')), 0)::bigint AS open,
                   coalesce(sum(total - amount_paid - amount_credited)
                            FILTER (WHERE status IN ('issued', 'partially_paid') AND due_date < \(today)::date), 0)::bigint AS overdue,
                   coalesce(sum(total) FILTER (WHERE status <> 'void' AND issue_date BETWEEN \(period.from)::date AND \(period.to)::date),
                            0)::bigint AS invoiced
            FROM invoices
            WHERE currency = \(currency) AND status <> 'draft' AND \(scope.customers("customer_id"))
            """)!
        return (try row.decode("open"), try row.decode("overdue"), try row.decode("invoiced"))
    }

    /// The median of `value` over `source` (a FROM clause with its WHERE) as the sum and count
    /// of the middle one or two values, so the caller divides exactly once.
    private static func median(_ value: SQL, from source: SQL, in tx: Transaction) throws -> (sum: Int64, count: Int64)
    {
        let row = try tx.first(
            """
            SELECT coalesce(sum(v), 0)::bigint AS sum, count(*) AS count FROM (
                SELECT \(value) AS v, row_number() OVER (ORDER BY \(value)) AS n, count(*) OVER () AS total FROM \(source)
            ) ranked WHERE n IN ((total + 1) / 2, (total + 2) / 2)
            """)!
        return (try row.decode("sum"), try row.decode("count"))
    }

    // MARK: RFM

    static let rankedColumns: SQL = """
        customer_id, seq, frequency, monetary, recency_days, span_days, earlier_count, earlier_value, later_count,
        later_value, r_score, f_score, m_score, segment
        """

    /// Every customer with orders in the window, scored and segmented: PostgreSQL `ntile(5)`
    /// over all of them (in scope), each measure sorted worst first — recency days
    /// descending, frequency and monetary ascending — with ties broken by the customer number,
    /// higher first; so among equal values the older customer scores higher, and the result is
    /// the same on every run. The segment rules are openapi.yaml's `RFMSegment`.
    func ranked(asOf: LocalDate, windowDays: Int, currency: String, scope: ReportScope) -> SQL {
        let start = asOf.adding(days: 1 - windowDays)!
        // The later half of the window starts here.
        let middle = asOf.adding(days: 1 - windowDays / 2)!
        return """
            WITH window_orders AS (
                SELECT o.customer_id, (o.confirmed_at AT TIME ZONE 'UTC')::date AS day, o.subtotal
                FROM sales_orders o
                WHERE o.confirmed_at >= \(start)::date AND o.confirmed_at < \(asOf)::date + 1
                  AND o.status NOT IN ('draft', 'cancelled') AND o.currency = \(currency)
                  AND \(scope.customers("o.customer_id"))
            ), per_customer AS (
                SELECT customer_id, count(*) AS frequency, sum(subtotal)::bigint AS monetary,
                       \(asOf)::date - max(day) AS recency_days, max(day) - min(day) AS span_days,
                       count(*) FILTER (WHERE day < \(middle)::date) AS earlier_count,
                       coalesce(sum(subtotal) FILTER (WHERE day < \(middle)::date), 0)::bigint AS earlier_value,
                       count(*) FILTER (WHERE day >= \(middle)::date) AS later_count,
                       coalesce(sum(subtotal) FILTER (WHERE day >= \(middle)::date), 0)::bigint AS later_value
                FROM window_orders GROUP BY customer_id
            ), scored AS (
                SELECT p.*, substring(c.number FROM 6)::bigint AS seq,
                       ntile(5) OVER (ORDER BY p.recency_days DESC, substring(c.number FROM 6)::bigint DESC) AS r_score,
                       ntile(5) OVER (ORDER BY p.frequency, substring(c.number FROM 6)::bigint DESC) AS f_score,
                       ntile(5) OVER (ORDER BY p.monetary, substring(c.number FROM 6)::bigint DESC) AS m_score
                FROM per_customer p JOIN customers c ON c.id = p.customer_id
            )
            SELECT customer_id, seq, frequency, monetary, recency_days, span_days, earlier_count, earlier_value,
                   later_count, later_value, r_score, f_score, m_score, CASE
                WHEN r_score >= 4 AND f_score >= 4 AND m_score >= 4 THEN 'champions'
                WHEN r_score >= 3 AND f_score >= 4 THEN 'loyal'
                WHEN frequency = 1 AND r_score >= 4 THEN 'new'
                WHEN r_score >= 3 THEN 'potential'
                WHEN f_score >= 3 THEN 'at_risk'
                ELSE 'hibernating' END AS segment
            FROM scored
            """
    }

    /// What the RFM snapshots are checked against: "count:Σ rfm_revision" of sales_orders. A
    /// trigger moves an order's `rfm_revision` whenever it changes what the ranking reads (its
    /// customer, confirmation, subtotal, currency, or whether it is draft or cancelled); a new
    /// or deleted order moves the count. Shipping and invoicing move neither.
    func ordersStamp(in tx: Transaction) throws -> String {
        try tx.first(
            "SELECT count(*)::text || ':' || coalesce(sum(rfm_revision), 0)::text AS stamp FROM sales_orders"
        )!.decode("stamp")
    }

    /// The snapshot of these parameters if it was computed at `stamp`.
    func snapshot(asOf: LocalDate, windowDays: Int, currency: String, stamp: String, in tx: Transaction) throws
        -> Int64?
    {
        try tx.first(
            """
            SELECT id FROM rfm_snapshots
            WHERE as_of = \(asOf)::date AND window_days = \(windowDays) AND currency = \(currency) AND orders_stamp = \(stamp)
            """
        )?.decode("id")
    }

    /// Waits for anyone computing the same snapshot (its transaction), so it is computed once.
    func lockSnapshot(asOf: LocalDate, windowDays: Int, currency: String, in tx: Transaction) throws {
        let key = "concord.insights.rfm.\(asOf).\(windowDays).\(currency)"
        try tx.execute("SELECT pg_advisory_xact_lock(hashtext(\(key)))")
    }

    /// Replaces the snapshot of these parameters with rows computed now, recorded at `stamp`
    /// (taken before the rows, so they reflect at least what it counts); drops snapshots over a
    /// day old. Returns its id.
    func saveSnapshot(asOf: LocalDate, windowDays: Int, currency: String, stamp: String, in tx: Transaction) throws
        -> Int64
    {
        try tx.execute(
            """
            DELETE FROM rfm_snapshots
            WHERE (as_of = \(asOf)::date AND window_days = \(windowDays) AND currency = \(currency))
               OR created_at < now() - interval '1 day'
            """)
        let id: Int64 = try tx.first(
            """
            INSERT INTO rfm_snapshots (as_of, window_days, currency, orders_stamp)
            VALUES (\(asOf)::date, \(windowDays), \(currency), \(stamp)) RETURNING id
            """)!.decode("id")
        let all = ranked(asOf: asOf, windowDays: windowDays, currency: currency, scope: .everyone)
        // The ranking sorts every customer of the window three times and groups their orders:
        // at the default 4 MB each step spilled to disk at a million customers. One ranking
        // runs at a time (`lockSnapshot`), so the memory is bounded.
        try tx.execute("SET LOCAL work_mem = '256MB'")
        try tx.execute(
            """
            INSERT INTO rfm_snapshot_rows (snapshot_id, \(Self.rankedColumns))
            SELECT \(id)::bigint, \(Self.rankedColumns) FROM (\(all)) ranked
            """)
        return id
    }

    /// One page of RFM rows in customer-number order (or only `customerID`'s), from a
    /// snapshot or, with nil, computed in this statement; names, lifetime values and overdue
    /// balances are read now.
    func rfm(
        snapshot: Int64?, asOf: LocalDate, windowDays: Int, currency: String, segment: RFMSegment?, customerID: UUID?,
        after: (key: String, id: UUID)?, limit: Int, scope: ReportScope, in tx: Transaction
    ) throws -> [(sequence: Int64, row: RFMRow)] {
        var conditions: [SQL] = []
        let source: SQL
        if let snapshot {
            source = "rfm_snapshot_rows"
            conditions.append("snapshot_id = \(snapshot)")
        } else {
            source = "(\(ranked(asOf: asOf, windowDays: windowDays, currency: currency, scope: scope))) ranked"
        }
        if let segment { conditions.append("segment = \(segment.rawValue)") }
        if let customerID { conditions.append("customer_id = \(customerID)") }
        let page = Keyset("seq", cast: "bigint", id: "customer_id").clause(conditions, after: after, limit: limit)
        return try tx.query(
            """
            SELECT p.*, c.number, c.name,
                   (SELECT coalesce(sum(o.subtotal), 0)::bigint FROM sales_orders o
                    WHERE o.customer_id = p.customer_id AND o.status NOT IN ('draft', 'cancelled') AND o.currency = \(currency)
                      AND o.confirmed_at < \(asOf)::date + 1) AS lifetime_value,
                   (SELECT coalesce(sum(i.total - i.amount_paid - i.amount_credited), 0)::bigint FROM invoices i
                    WHERE i.customer_id = p.customer_id AND i.status IN ('issued', 'partially_paid') AND i.currency = \(currency)
                      AND i.due_date < \(asOf)::date) AS overdue_balance
            FROM (SELECT \(Self.rankedColumns) FROM \(source) \(page)) p JOIN customers c ON c.id = p.customer_id
            ORDER BY p.seq, p.customer_id
            """
        ).rows.map { row in
            (
                try row.decode("seq"),
                RFMRow(
                    customerID: try row.decode("customer_id"), number: try row.decode("number"),
                    name: try row.decode("name"), recencyDays: Int64(try row.decode("recency_days", as: Int.self)),
                    frequency: try row.decode("frequency"), monetary: try row.decode("monetary"),
                    recencyScore: try row.decode("r_score"), frequencyScore: try row.decode("f_score"),
                    monetaryScore: try row.decode("m_score"), segment: try row.decodeEnum("segment"),
                    lifetimeValue: try row.decode("lifetime_value"),
                    spanDays: Int64(try row.decode("span_days", as: Int.self)),
                    overdueBalance: try row.decode("overdue_balance"),
                    earlier: (try row.decode("earlier_count"), try row.decode("earlier_value")),
                    later: (try row.decode("later_count"), try row.decode("later_value")))
            )
        }
    }

    /// Σ revenue − cost of everything the customer was ever shipped in `currency`.
    func lifetimeMargin(customerID: UUID, currency: String, in tx: Transaction) throws -> Int64 {
        try tx.first(
            """
            SELECT coalesce(sum(l.revenue - l.cost), 0)::bigint AS margin
            FROM \(Self.goodsMoved) l JOIN sales_orders o ON o.id = l.sales_order_id
            WHERE o.customer_id = \(customerID) AND l.currency = \(currency)
            """)!.decode("margin")
    }
}
