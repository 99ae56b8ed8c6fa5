import Core
import FoundationEssentials
import Platform
import Postgres

/// The filters of `GET /sales-orders`.
struct SalesOrderFilter {
    var status: SalesOrder.Status?
    var customerId: UUID?
    var createdAfter: Date?
    var createdBefore: Date?
    var q: String?
    var externalRef: String?
    var descending = false
}

/// SQL of sales orders, their lines and shipments.
struct SalesStore: Sendable {
    /// An order, with its shipments, follows its customer's owner (RecordScope).
    static let visible = RecordScope.Rule.customer("customer_id")

    static let columns: SQL = """
        id, number, customer_id, warehouse_id, status, valid_until, invoice_status, currency, subtotal, tax_total, total,
        opportunity_id, requested_date, notes, external_ref, confirmed_at, created_at, updated_at, version
        """
    static let lineColumns: SQL = """
        sales_order_id, line_no, item_id, description, quantity, unit_price, price_source, discount_percent, tax_rate,
        line_total, tax_amount, shipped_quantity, invoiced_quantity, returned_quantity, returned_uninvoiced_quantity
        """

    func insert(_ order: SalesOrder, in tx: Transaction) throws -> UUID {
        try tx.first(
            """
            INSERT INTO sales_orders (customer_id, warehouse_id, status, valid_until, currency, subtotal, tax_total, total,
                                      opportunity_id, requested_date, notes, external_ref)
            VALUES (\(order.customerId), \(order.warehouseId), \(order.status.rawValue), \(order.validUntil), \(order.currency),
                    \(order.subtotal), \(order.taxTotal), \(order.total), \(order.opportunityId), \(order.requestedDate),
                    \(order.notes), \(order.externalRef))
            RETURNING id
            """)!.decode("id")
    }

    func update(_ order: SalesOrder, in tx: Transaction) throws {
        try tx.execute(
            """
            UPDATE sales_orders SET customer_id = \(order.customerId), warehouse_id = \(order.warehouseId),
                status = \(order.status.rawValue), valid_until = \(order.validUntil), invoice_status = \(order.invoiceStatus.rawValue),
                currency = \(order.currency), subtotal = \(order.subtotal), tax_total = \(order.taxTotal), total = \(order.total),
                opportunity_id = \(order.opportunityId), requested_date = \(order.requestedDate), notes = \(order.notes),
                external_ref = \(order.externalRef), confirmed_at = \(order.confirmedAt), updated_at = now(), version = version + 1
            WHERE id = \(order.id)
            """)
    }

    func replaceLines(orderID: UUID, _ lines: [SalesOrderLine], in tx: Transaction) throws {
        try tx.execute("DELETE FROM sales_order_lines WHERE sales_order_id = \(orderID)")
        for line in lines {
            try tx.execute(
                """
                INSERT INTO sales_order_lines (sales_order_id, line_no, item_id, description, quantity, unit_price, price_source,
                                               discount_percent, tax_rate, line_total, tax_amount)
                VALUES (\(orderID), \(line.lineNo), \(line.itemId), \(line.description), \(line.quantity), \(line.unitPrice),
                        \(line.priceSource), \(line.discountPercent), \(line.taxRate), \(line.lineTotal), \(line.taxAmount))
                """)
        }
    }

    func addShipped(orderID: UUID, lineNo: Int, quantity: ExactDecimal, in tx: Transaction) throws {
        try tx.execute(
            """
            UPDATE sales_order_lines SET shipped_quantity = shipped_quantity + \(quantity)
            WHERE sales_order_id = \(orderID) AND line_no = \(lineNo)
            """)
    }

    /// Counts a return on a line; the CHECK (returned ≤ shipped) is the last guard behind the
    /// 409 `over_return`.
    func addReturned(
        orderID: UUID, lineNo: Int, quantity: ExactDecimal, uninvoiced: ExactDecimal, in tx: Transaction
    ) throws {
        try tx.execute(
            """
            UPDATE sales_order_lines SET returned_quantity = returned_quantity + \(quantity),
                returned_uninvoiced_quantity = returned_uninvoiced_quantity + \(uninvoiced)
            WHERE sales_order_id = \(orderID) AND line_no = \(lineNo)
            """)
    }

    /// Per line, Σ shipped quantity and Σ cost of an order's shipments.
    func shippedCosts(orderID: UUID, in tx: Transaction) throws -> [Int: (quantity: ExactDecimal, cost: Int64)] {
        var result: [Int: (quantity: ExactDecimal, cost: Int64)] = [:]
        for row in try tx.query(
            """
            SELECT line_no, sum(quantity) AS quantity, sum(cost)::bigint AS cost FROM shipment_lines
            WHERE sales_order_id = \(orderID) GROUP BY line_no
            """
        ).rows {
            result[try row.decode("line_no")] = (try row.decode("quantity"), try row.decode("cost"))
        }
        return result
    }

    func addInvoiced(orderID: UUID, lineNo: Int, quantity: ExactDecimal, in tx: Transaction) throws {
        try tx.execute(
            """
            UPDATE sales_order_lines SET invoiced_quantity = invoiced_quantity + \(quantity)
            WHERE sales_order_id = \(orderID) AND line_no = \(lineNo)
            """)
    }

    func order(_ key: DocumentKey, lock: Bool = false, in tx: Transaction) throws -> SalesOrder? {
        let locking: SQL = lock ? " FOR UPDATE" : ""
        let condition = key.condition(visible: Self.visible)
        guard let row = try tx.first("SELECT \(Self.columns) FROM sales_orders WHERE \(condition)\(locking)") else {
            return nil
        }
        return try complete([row], in: tx).first
    }

    func list(_ filter: SalesOrderFilter, after: (key: String, id: UUID)?, limit: Int, in tx: Transaction) throws
        -> [SalesOrder]
    {
        var conditions: [SQL] = []
        if let status = filter.status { conditions.append("status = \(status.rawValue)") }
        if let customer = filter.customerId { conditions.append("customer_id = \(customer)") }
        if let after = filter.createdAfter { conditions.append("created_at >= \(after)") }
        if let before = filter.createdBefore { conditions.append("created_at < \(before)") }
        if let q = filter.q { conditions.append("number LIKE \(SQL.likeContaining(q.uppercased()))") }
        if let ref = filter.externalRef { conditions.append("external_ref = \(ref)") }
        let page = Keyset.createdAt.clause(
            conditions, visible: Self.visible, after: after, descending: filter.descending, limit: limit)
        let rows = try tx.query("SELECT \(Self.columns) FROM sales_orders \(page)").rows
        return try complete(rows, in: tx)
    }

    private func complete(_ rows: [Row], in tx: Transaction) throws -> [SalesOrder] {
        guard !rows.isEmpty else { return [] }
        let ids: [UUID] = try rows.map { try $0.decode("id") }
        var lines: [UUID: [SalesOrderLine]] = [:]
        for row in try tx.query(
            """
            SELECT \(Self.lineColumns) FROM sales_order_lines WHERE sales_order_id = ANY(\(ids)::uuid[]) ORDER BY sales_order_id, line_no
            """
        ).rows {
            lines[try row.decode("sales_order_id"), default: []].append(
                SalesOrderLine(
                    lineNo: try row.decode("line_no"), itemId: try row.decodeIfPresent("item_id"),
                    description: try row.decodeIfPresent("description"), quantity: try row.decode("quantity"),
                    unitPrice: try row.decode("unit_price"), priceSource: try row.decode("price_source"),
                    discountPercent: try row.decode("discount_percent"), taxRate: try row.decode("tax_rate"),
                    lineTotal: try row.decode("line_total"), taxAmount: try row.decode("tax_amount"),
                    shippedQuantity: try row.decode("shipped_quantity"),
                    invoicedQuantity: try row.decode("invoiced_quantity"),
                    returnedQuantity: try row.decode("returned_quantity"),
                    returnedUninvoicedQuantity: try row.decode("returned_uninvoiced_quantity")))
        }
        for row in try tx.query(
            """
            SELECT sales_order_id, line_no, sum(cost)::bigint AS cost, sum(revenue - cost)::bigint AS margin
            FROM shipment_lines WHERE sales_order_id = ANY(\(ids)::uuid[]) GROUP BY sales_order_id, line_no
            """
        ).rows {
            let lineNo: Int = try row.decode("line_no")
            let orderID: UUID = try row.decode("sales_order_id")
            guard let index = lines[orderID]?.firstIndex(where: { $0.lineNo == lineNo }) else { continue }
            lines[orderID]![index].cost = try row.decode("cost")
            lines[orderID]![index].margin = try row.decode("margin")
        }
        return try rows.map { row in
            let id: UUID = try row.decode("id")
            return SalesOrder(
                id: id, number: try row.decode("number"), customerId: try row.decode("customer_id"),
                warehouseId: try row.decodeIfPresent("warehouse_id"), status: try row.decodeEnum("status"),
                validUntil: try row.decodeIfPresent("valid_until"), invoiceStatus: try row.decodeEnum("invoice_status"),
                currency: try row.decode("currency"), lines: lines[id] ?? [], subtotal: try row.decode("subtotal"),
                taxTotal: try row.decode("tax_total"), total: try row.decode("total"),
                opportunityId: try row.decodeIfPresent("opportunity_id"),
                requestedDate: try row.decodeIfPresent("requested_date"), notes: try row.decodeIfPresent("notes"),
                externalRef: try row.decodeIfPresent("external_ref"),
                confirmedAt: try row.decodeIfPresent("confirmed_at"),
                createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"),
                version: try row.decode("version"))
        }
    }

    /// What orders not yet invoiced still owe (confirmed, partly or fully shipped, and closed
    /// ones, of which only what shipped), as rows `customer_id`, `currency`, `order_id`,
    /// `amount`: each line's total with tax, scaled to the part not yet invoiced (what came back
    /// before it was invoiced is no longer owed). One definition for one customer's credit
    /// figure and for every customer's at once.
    static let uninvoicedAmounts: SQL = """
        SELECT o.customer_id, o.currency, o.id AS order_id,
               CASE WHEN billable = l.quantity THEN l.line_total + l.tax_amount
                    ELSE round_half_even((l.line_total + l.tax_amount) * billable / l.quantity) END AS amount
        FROM sales_orders o
        JOIN sales_order_lines l ON l.sales_order_id = o.id
        CROSS JOIN LATERAL (SELECT (CASE WHEN o.status = 'closed' THEN l.shipped_quantity ELSE l.quantity END)
                                   - l.invoiced_quantity - l.returned_uninvoiced_quantity AS billable) b
        WHERE o.status IN ('confirmed', 'partially_shipped', 'shipped', 'closed') AND billable > 0
        """

    /// The credit figures of one customer in its currency, in one statement; `excluding`
    /// leaves out the order being confirmed. (PostgreSQL pushes the customer's condition into
    /// each source, so their indexes serve it.)
    func creditFigures(
        customerID: UUID, currency: String, excluding: UUID?, openReceivables: SQL?, in tx: Transaction
    ) throws -> (orders: Int64, receivables: Int64) {
        let receivables: SQL =
            openReceivables.map {
                "(SELECT coalesce(sum(amount), 0) FROM (\($0)) r WHERE customer_id = \(customerID) AND currency = \(currency))"
            } ?? "0"
        let row = try tx.first(
            """
            SELECT (SELECT coalesce(sum(amount), 0) FROM (\(Self.uninvoicedAmounts)) u
                    WHERE customer_id = \(customerID) AND currency = \(currency) AND order_id IS DISTINCT FROM \(excluding))::bigint AS orders,
                   \(receivables)::bigint AS receivables
            """)!
        return (try row.decode("orders"), try row.decode("receivables"))
    }

    /// Customers with a credit limit (not archived) whose orders and receivables in their
    /// currency use at least `percent` of it, among `ids` or all, in id order: the alert tick's
    /// set, summed in one pass over what is owed rather than customer by customer (at a million
    /// customers the difference between seconds and minutes).
    func creditUsage(atLeast percent: Int, ids: [UUID]?, openReceivables: SQL?, in tx: Transaction)
        throws -> [CreditUsage]
    {
        let among: SQL = ids.map { " WHERE customer_id = ANY(\($0)::uuid[])" } ?? ""
        let amongCustomers: SQL = ids.map { " AND c.id = ANY(\($0)::uuid[])" } ?? ""
        let receivables: SQL =
            openReceivables.map { " UNION ALL SELECT customer_id, currency, amount FROM (\($0)) r" } ?? ""
        return try tx.query(
            """
            WITH owed AS (
                SELECT customer_id, currency, sum(amount) AS amount
                FROM (SELECT customer_id, currency, amount FROM (\(Self.uninvoicedAmounts)) u\(receivables)) a\(among)
                GROUP BY customer_id, currency)
            SELECT c.id, c.number, c.currency, c.credit_limit, coalesce(owed.amount, 0)::bigint AS used
            FROM customers c
            LEFT JOIN owed ON owed.customer_id = c.id AND owed.currency = c.currency
            WHERE c.credit_limit IS NOT NULL AND c.credit_limit > 0 AND c.status <> 'archived'\(amongCustomers)
              AND coalesce(owed.amount, 0) * 100 >= \(percent)::numeric * c.credit_limit
            ORDER BY c.id
            """
        ).rows.map { row in
            CreditUsage(
                customerID: try row.decode("id"), number: try row.decode("number"),
                currency: try row.decode("currency"), limit: try row.decode("credit_limit"),
                used: try row.decode("used"))
        }
    }

    func moveOrders(from duplicate: UUID, to survivor: UUID, in tx: Transaction) throws -> Int {
        try tx.execute(
            """
            UPDATE sales_orders SET customer_id = \(survivor), updated_at = now(), version = version + 1 WHERE customer_id = \(duplicate)
            """)
    }

    // MARK: Shipments

    /// The shipment and its lines; each line also records the order, item, currency, time and
    /// revenue, so the margin reports read `shipment_lines` alone.
    func insertShipment(
        order: SalesOrder, lines: [(line: Shipment.Line, itemID: UUID?, revenue: Int64)], by user: UUID?,
        in tx: Transaction
    ) throws -> Shipment {
        let row = try tx.first(
            """
            INSERT INTO shipments (sales_order_id, created_by) VALUES (\(order.id), \(user)) RETURNING id, number, created_at
            """)!
        let id: UUID = try row.decode("id")
        let shippedAt: Date = try row.decode("created_at")
        try tx.execute(
            """
            UPDATE sales_orders SET first_shipped_at = coalesce(first_shipped_at, \(shippedAt)), last_shipped_at = \(shippedAt)
            WHERE id = \(order.id)
            """)
        for entry in lines {
            try tx.execute(
                """
                INSERT INTO shipment_lines (shipment_id, line_no, quantity, sales_order_id, item_id, currency, shipped_at,
                                            unit_cost, cost, revenue)
                VALUES (\(id), \(entry.line.lineNo), \(entry.line.quantity), \(order.id), \(entry.itemID), \(order.currency),
                        \(shippedAt), \(entry.line.unitCost), \(entry.line.cost), \(entry.revenue))
                """)
        }
        return Shipment(
            id: id, number: try row.decode("number"), salesOrderId: order.id, lines: lines.map(\.line), createdBy: user,
            createdAt: shippedAt)
    }

    func shipments(orderID: UUID, in tx: Transaction) throws -> [Shipment] {
        let heads = try tx.query(
            """
            SELECT id, number, created_by, created_at FROM shipments WHERE sales_order_id = \(orderID) ORDER BY created_at, id
            """
        ).rows
        var lines: [UUID: [Shipment.Line]] = [:]
        for row in try tx.query(
            """
            SELECT shipment_id, line_no, quantity, unit_cost, cost FROM shipment_lines
            WHERE sales_order_id = \(orderID) ORDER BY shipment_id, line_no
            """
        ).rows {
            lines[try row.decode("shipment_id"), default: []].append(
                Shipment.Line(
                    lineNo: try row.decode("line_no"), quantity: try row.decode("quantity"),
                    unitCost: try row.decode("unit_cost"), cost: try row.decode("cost")))
        }
        return try heads.map { row in
            let id: UUID = try row.decode("id")
            return Shipment(
                id: id, number: try row.decode("number"), salesOrderId: orderID, lines: lines[id] ?? [],
                createdBy: try row.decodeIfPresent("created_by"), createdAt: try row.decode("created_at"))
        }
    }

    // MARK: Figures

    /// The customer summary's order part: open orders, the last confirmed order's date, and
    /// the total of every order ever confirmed and not cancelled, in `currency`.
    func customerOrders(customerID: UUID, currency: String, in tx: Transaction) throws -> (
        open: Int64, last: LocalDate?, lifetime: Int64, other: Int64
    ) {
        let row = try tx.first(
            """
            SELECT count(*) FILTER (WHERE status IN ('confirmed', 'partially_shipped') AND currency = \(currency)) AS open_count,
                   (max(confirmed_at) FILTER (WHERE status <> 'cancelled'))::date AS last_order_date,
                   coalesce(sum(total) FILTER (WHERE status IN ('confirmed', 'partially_shipped', 'shipped', 'closed')
                                                  AND currency = \(currency)), 0)::bigint AS lifetime_total,
                   count(*) FILTER (WHERE status NOT IN ('draft', 'cancelled') AND currency <> \(currency)) AS other_currency
            FROM sales_orders WHERE customer_id = \(customerID)
            """)!
        return (
            try row.decode("open_count"), try row.decodeIfPresent("last_order_date"), try row.decode("lifetime_total"),
            try row.decode("other_currency")
        )
    }

    /// `GET /reports/sales`: confirmed orders (not cancelled) by month, customer or item.
    func salesReport(groupBy: String, from: LocalDate?, to: LocalDate?, in tx: Transaction) throws -> [Row] {
        var conditions: [SQL] = ["o.status NOT IN ('draft', 'cancelled')"]
        if let scoped = RecordScope.current.condition(.customer("o.customer_id")) { conditions.append(scoped) }
        if let from { conditions.append("o.confirmed_at >= \(from)::date") }
        if let to { conditions.append("o.confirmed_at < (\(to)::date + 1)") }
        let filter = SQL.join(conditions, separator: " AND ")
        switch groupBy {
        case "item":
            return try tx.query(
                """
                SELECT l.item_id::text AS key, o.currency, count(DISTINCT o.id) AS order_count, sum(l.quantity) AS quantity,
                       sum(l.line_total)::bigint AS subtotal, sum(l.tax_amount)::bigint AS tax_total,
                       sum(l.line_total + l.tax_amount)::bigint AS total
                FROM sales_orders o JOIN sales_order_lines l ON l.sales_order_id = o.id
                WHERE \(filter) GROUP BY l.item_id, o.currency ORDER BY total DESC, key
                """
            ).rows
        case "customer":
            return try tx.query(
                """
                SELECT o.customer_id::text AS key, o.currency, count(*) AS order_count, NULL::numeric AS quantity,
                       sum(o.subtotal)::bigint AS subtotal, sum(o.tax_total)::bigint AS tax_total, sum(o.total)::bigint AS total
                FROM sales_orders o WHERE \(filter) GROUP BY o.customer_id, o.currency ORDER BY total DESC, key
                """
            ).rows
        default:
            return try tx.query(
                """
                SELECT to_char(o.confirmed_at AT TIME ZONE 'UTC', 'YYYY-MM') AS key, o.currency, count(*) AS order_count,
                       NULL::numeric AS quantity, sum(o.subtotal)::bigint AS subtotal, sum(o.tax_total)::bigint AS tax_total,
                       sum(o.total)::bigint AS total
                FROM sales_orders o WHERE \(filter) GROUP BY key, o.currency ORDER BY key, o.currency
                """
            ).rows
        }
    }

}
