import Core
import Customers
import FoundationEssentials
import Platform
import Postgres

/// The filters and order of `GET /suppliers`.
struct SupplierQuery {
    var q: String?
    var status: Supplier.Status?
    var externalRef: String?
    var email: String?
    var sortByName = false
    var descending = false
}

/// The filters of `GET /purchase-orders`.
struct PurchaseOrderFilter {
    var status: PurchaseOrder.Status?
    var supplierId: UUID?
    var warehouseId: UUID?
    var itemId: UUID?
    var createdAfter: Date?
    var createdBefore: Date?
    var q: String?
    var externalRef: String?
    var descending = false
}

/// An item's reorder figures, summed over every warehouse (the suggestions' source).
struct ReorderRow {
    let itemID: UUID
    let sku: String
    let name: String
    let reorderPoint: ExactDecimal
    let reorderQuantity: ExactDecimal?
    let averageCost: Int64
    let supplierID: UUID?
    let supplierActive: Bool
    let available: ExactDecimal
    let incoming: ExactDecimal
    let drafted: ExactDecimal
}

/// SQL of suppliers, purchase orders, their lines and goods receipts. The suggestions read
/// Catalog's `items` and Inventory's `stock_balances` and `stock_incoming` (never writing them).
struct PurchasingStore: Sendable {
    // MARK: Suppliers

    static let supplierColumns: SQL = """
        id, number, name, email, phone, address, payment_terms_days, currency, status, external_ref, created_at, updated_at, version
        """

    func insertSupplier(_ input: SupplierInput, defaultCurrency: String, in tx: Transaction) throws -> Supplier {
        try Self.supplier(
            tx.first(
                """
                INSERT INTO suppliers (name, email, phone, address, payment_terms_days, currency, status, external_ref)
                VALUES (\(input.name), \(input.email), \(input.phone), \(input.address?.stored), \(input.paymentTermsDays ?? 30),
                        \(input.currency ?? defaultCurrency), \((input.status ?? .active).rawValue), \(input.externalRef))
                RETURNING \(Self.supplierColumns)
                """)!)
    }

    func supplier(_ key: DocumentKey, lock: Bool = false, in tx: Transaction) throws -> Supplier? {
        let locking: SQL = lock ? " FOR UPDATE" : ""
        return try tx.first("SELECT \(Self.supplierColumns) FROM suppliers WHERE \(key.condition)\(locking)").map(
            Self.supplier)
    }

    func suppliers(ids: [UUID], in tx: Transaction) throws -> [Supplier] {
        try tx.query("SELECT \(Self.supplierColumns) FROM suppliers WHERE id = ANY(\(ids)::uuid[]) ORDER BY id").rows
            .map(Self.supplier)
    }

    func updateSupplier(_ supplier: Supplier, in tx: Transaction) throws -> Supplier {
        try Self.supplier(
            tx.first(
                """
                UPDATE suppliers SET name = \(supplier.name), email = \(supplier.email), phone = \(supplier.phone),
                    address = \(supplier.address?.stored), payment_terms_days = \(supplier.paymentTermsDays), currency = \(supplier.currency),
                    status = \(supplier.status.rawValue), external_ref = \(supplier.externalRef), updated_at = now(), version = version + 1
                WHERE id = \(supplier.id)
                RETURNING \(Self.supplierColumns)
                """)!)
    }

    /// Fails with 23503 while an item or a purchase order refers to the supplier.
    func deleteSupplier(id: UUID, in tx: Transaction) throws {
        try tx.execute("DELETE FROM suppliers WHERE id = \(id)")
    }

    /// Suppliers other than `excluding` holding this email (case-insensitively) or external_ref.
    func holders(email: String?, externalRef: String?, excluding: UUID?, in tx: Transaction) throws
        -> [SupplierCandidate]
    {
        guard email != nil || externalRef != nil else { return [] }
        return try tx.query(
            """
            SELECT id, number, name, email,
                   CASE WHEN lower(email) = lower(\(email)) THEN 'email' ELSE 'external_ref' END AS matched_on
            FROM suppliers
            WHERE (lower(email) = lower(\(email)) OR external_ref = \(externalRef)) AND id IS DISTINCT FROM \(excluding)
            ORDER BY created_at, id
            """
        ).rows.map { row in
            SupplierCandidate(
                id: try row.decode("id"), number: try row.decode("number"), name: try row.decode("name"),
                email: try row.decodeIfPresent("email"), matchedOn: try row.decode("matched_on"))
        }
    }

    func listSuppliers(_ query: SupplierQuery, after: (key: String, id: UUID)?, limit: Int, in tx: Transaction) throws
        -> [Supplier]
    {
        var conditions: [SQL] = []
        if let q = query.q {
            // `%` and `_` are literal; the trigram index serves the search.
            conditions.append(SQL.contains("search_text", q, in: "suppliers"))
        }
        if let status = query.status { conditions.append("status = \(status.rawValue)") }
        if let ref = query.externalRef { conditions.append("external_ref = \(ref)") }
        if let email = query.email { conditions.append("lower(email) = lower(\(email))") }
        let keyset = query.sortByName ? Keyset.lowerName : Keyset.createdAt
        let page = keyset.clause(conditions, after: after, descending: query.descending, limit: limit)
        return try tx.query("SELECT \(Self.supplierColumns) FROM suppliers \(page)").rows.map(Self.supplier)
    }

    // MARK: Purchase orders

    static let orderColumns: SQL = """
        id, number, supplier_id, warehouse_id, status, currency, subtotal, total, expected_date, notes, external_ref, ordered_at,
        received_at, cancelled_at, bill_status, created_at, updated_at, version
        """

    func insertOrder(_ order: PurchaseOrder, in tx: Transaction) throws -> UUID {
        try tx.first(
            """
            INSERT INTO purchase_orders (supplier_id, warehouse_id, status, currency, subtotal, total, expected_date, notes, external_ref)
            VALUES (\(order.supplierId), \(order.warehouseId), \(order.status.rawValue), \(order.currency), \(order.subtotal),
                    \(order.total), \(order.expectedDate), \(order.notes), \(order.externalRef))
            RETURNING id
            """)!.decode("id")
    }

    func updateOrder(_ order: PurchaseOrder, in tx: Transaction) throws {
        try tx.execute(
            """
            UPDATE purchase_orders SET supplier_id = \(order.supplierId), warehouse_id = \(order.warehouseId),
                status = \(order.status.rawValue), currency = \(order.currency), subtotal = \(order.subtotal), total = \(order.total),
                expected_date = \(order.expectedDate), notes = \(order.notes), external_ref = \(order.externalRef),
                ordered_at = \(order.orderedAt), received_at = \(order.receivedAt), cancelled_at = \(order.cancelledAt),
                updated_at = now(), version = version + 1
            WHERE id = \(order.id)
            """)
    }

    func replaceLines(orderID: UUID, _ lines: [PurchaseOrderLine], in tx: Transaction) throws {
        try tx.execute("DELETE FROM purchase_order_lines WHERE purchase_order_id = \(orderID)")
        for line in lines {
            try tx.execute(
                """
                INSERT INTO purchase_order_lines (purchase_order_id, line_no, item_id, quantity, unit_cost, line_total)
                VALUES (\(orderID), \(line.lineNo), \(line.itemId), \(line.quantity), \(line.unitCost), \(line.lineTotal))
                """)
        }
    }

    /// Adds to a line's received quantity; the table's CHECK (received ≤ ordered) is the last
    /// guard behind the service's `over_receipt`.
    func addReceived(orderID: UUID, lineNo: Int, quantity: ExactDecimal, in tx: Transaction) throws {
        try tx.execute(
            """
            UPDATE purchase_order_lines SET received_quantity = received_quantity + \(quantity), updated_at = now(), version = version + 1
            WHERE purchase_order_id = \(orderID) AND line_no = \(lineNo)
            """)
    }

    /// Adds `quantity` (negative to give it back) to a line's billed quantity; the table's CHECK
    /// (0 ≤ billed ≤ received) is the last guard behind the 409 `over_billing`.
    func addBilled(orderID: UUID, lineNo: Int, quantity: ExactDecimal, in tx: Transaction) throws {
        try tx.execute(
            """
            UPDATE purchase_order_lines SET billed_quantity = billed_quantity + \(quantity), updated_at = now(), version = version + 1
            WHERE purchase_order_id = \(orderID) AND line_no = \(lineNo)
            """)
    }

    /// Sets the order's `bill_status` from its lines' billed quantities.
    func refreshBillStatus(orderID: UUID, in tx: Transaction) throws {
        try tx.execute(
            """
            UPDATE purchase_orders SET bill_status = (
                SELECT CASE WHEN bool_and(billed_quantity = 0) THEN 'not_billed'
                            WHEN bool_and(billed_quantity = quantity) THEN 'billed' ELSE 'partially_billed' END
                FROM purchase_order_lines WHERE purchase_order_id = \(orderID)),
                updated_at = now(), version = version + 1
            WHERE id = \(orderID)
            """)
    }

    /// With `lock`, the order row is held `FOR UPDATE` until the transaction ends: every change
    /// to an order and its lines (receipts included) takes this lock first.
    func order(_ key: DocumentKey, lock: Bool = false, in tx: Transaction) throws -> PurchaseOrder? {
        let locking: SQL = lock ? " FOR UPDATE" : ""
        guard
            let row = try tx.first("SELECT \(Self.orderColumns) FROM purchase_orders WHERE \(key.condition)\(locking)")
        else {
            return nil
        }
        return try complete([row], in: tx).first
    }

    func listOrders(_ filter: PurchaseOrderFilter, after: (key: String, id: UUID)?, limit: Int, in tx: Transaction)
        throws -> [PurchaseOrder]
    {
        var conditions: [SQL] = []
        if let status = filter.status { conditions.append("status = \(status.rawValue)") }
        if let supplier = filter.supplierId { conditions.append("supplier_id = \(supplier)") }
        if let warehouse = filter.warehouseId { conditions.append("warehouse_id = \(warehouse)") }
        if let item = filter.itemId {
            conditions.append(
                "EXISTS (SELECT 1 FROM purchase_order_lines l WHERE l.purchase_order_id = purchase_orders.id AND l.item_id = \(item))"
            )
        }
        if let after = filter.createdAfter { conditions.append("created_at >= \(after)") }
        if let before = filter.createdBefore { conditions.append("created_at < \(before)") }
        if let q = filter.q {
            conditions.append("number LIKE \(SQL.likeContaining(q.uppercased()))")
        }
        if let ref = filter.externalRef { conditions.append("external_ref = \(ref)") }
        let page = Keyset.createdAt.clause(conditions, after: after, descending: filter.descending, limit: limit)
        let rows = try tx.query("SELECT \(Self.orderColumns) FROM purchase_orders \(page)").rows
        return try complete(rows, in: tx)
    }

    private func complete(_ rows: [Row], in tx: Transaction) throws -> [PurchaseOrder] {
        guard !rows.isEmpty else { return [] }
        let ids: [UUID] = try rows.map { try $0.decode("id") }
        var lines: [UUID: [PurchaseOrderLine]] = [:]
        for row in try tx.query(
            """
            SELECT purchase_order_id, line_no, item_id, quantity, unit_cost, line_total, received_quantity, billed_quantity
            FROM purchase_order_lines WHERE purchase_order_id = ANY(\(ids)::uuid[]) ORDER BY purchase_order_id, line_no
            """
        ).rows {
            lines[try row.decode("purchase_order_id"), default: []].append(
                PurchaseOrderLine(
                    lineNo: try row.decode("line_no"), itemId: try row.decode("item_id"),
                    quantity: try row.decode("quantity"),
                    unitCost: try row.decode("unit_cost"), lineTotal: try row.decode("line_total"),
                    receivedQuantity: try row.decode("received_quantity"),
                    billedQuantity: try row.decode("billed_quantity")))
        }
        return try rows.map { row in
            let id: UUID = try row.decode("id")
            return PurchaseOrder(
                id: id, number: try row.decode("number"), supplierId: try row.decode("supplier_id"),
                warehouseId: try row.decode("warehouse_id"), status: try row.decodeEnum("status"),
                currency: try row.decode("currency"), lines: lines[id] ?? [], subtotal: try row.decode("subtotal"),
                total: try row.decode("total"), expectedDate: try row.decodeIfPresent("expected_date"),
                notes: try row.decodeIfPresent("notes"), externalRef: try row.decodeIfPresent("external_ref"),
                orderedAt: try row.decodeIfPresent("ordered_at"), receivedAt: try row.decodeIfPresent("received_at"),
                cancelledAt: try row.decodeIfPresent("cancelled_at"), billStatus: try row.decodeEnum("bill_status"),
                createdAt: try row.decode("created_at"),
                updatedAt: try row.decode("updated_at"), version: try row.decode("version"))
        }
    }

    // MARK: Goods receipts

    func insertReceipt(orderID: UUID, lines: [GoodsReceipt.Line], by user: UUID?, in tx: Transaction) throws
        -> GoodsReceipt
    {
        let row = try tx.first(
            """
            INSERT INTO goods_receipts (purchase_order_id, created_by) VALUES (\(orderID), \(user)) RETURNING id, number, created_at
            """)!
        let id: UUID = try row.decode("id")
        for line in lines {
            try tx.execute(
                """
                INSERT INTO goods_receipt_lines (goods_receipt_id, line_no, item_id, quantity, unit_cost)
                VALUES (\(id), \(line.lineNo), \(line.itemId), \(line.quantity), \(line.unitCost))
                """)
        }
        return GoodsReceipt(
            id: id, number: try row.decode("number"), purchaseOrderId: orderID, lines: lines, createdBy: user,
            createdAt: try row.decode("created_at"))
    }

    func receipts(orderID: UUID, in tx: Transaction) throws -> [GoodsReceipt] {
        let heads = try tx.query(
            """
            SELECT id, number, created_by, created_at FROM goods_receipts WHERE purchase_order_id = \(orderID) ORDER BY created_at, id
            """
        ).rows
        var lines: [UUID: [GoodsReceipt.Line]] = [:]
        for row in try tx.query(
            """
            SELECT l.goods_receipt_id, l.line_no, l.item_id, l.quantity, l.unit_cost
            FROM goods_receipt_lines l JOIN goods_receipts r ON r.id = l.goods_receipt_id
            WHERE r.purchase_order_id = \(orderID) ORDER BY l.goods_receipt_id, l.line_no
            """
        ).rows {
            lines[try row.decode("goods_receipt_id"), default: []].append(
                GoodsReceipt.Line(
                    lineNo: try row.decode("line_no"), itemId: try row.decode("item_id"),
                    quantity: try row.decode("quantity"),
                    unitCost: try row.decode("unit_cost")))
        }
        return try heads.map { row in
            let id: UUID = try row.decode("id")
            return GoodsReceipt(
                id: id, number: try row.decode("number"), purchaseOrderId: orderID, lines: lines[id] ?? [],
                createdBy: try row.decodeIfPresent("created_by"), createdAt: try row.decode("created_at"))
        }
    }

    // MARK: Suggestions

    /// Serialises `POST /purchasing/suggestions/apply` across instances until the transaction
    /// ends, so two applies never both draft what the other is drafting.
    func lockSuggestions(in tx: Transaction) throws {
        try tx.execute("SELECT pg_advisory_xact_lock(hashtext('concord.purchasing.suggestions.apply'))")
    }

    /// Active stock items with a reorder point whose available + incoming + drafted, summed
    /// over every warehouse, is at or below it; items never stocked anywhere count as zero.
    func reorderRows(in tx: Transaction) throws -> [ReorderRow] {
        try tx.query(
            """
            SELECT i.id, i.sku, i.name, i.reorder_point, i.reorder_quantity, i.average_cost, i.preferred_supplier_id,
                   coalesce(s.status = 'active', false) AS supplier_active,
                   coalesce(b.available, 0) AS available, coalesce(inc.quantity, 0) AS incoming, coalesce(d.quantity, 0) AS drafted
            FROM items i
            LEFT JOIN suppliers s ON s.id = i.preferred_supplier_id
            LEFT JOIN (SELECT item_id, sum(on_hand - reserved) AS available FROM stock_balances GROUP BY item_id) b ON b.item_id = i.id
            LEFT JOIN (SELECT item_id, sum(quantity) AS quantity FROM stock_incoming GROUP BY item_id) inc ON inc.item_id = i.id
            LEFT JOIN (SELECT l.item_id, sum(l.quantity) AS quantity
                       FROM purchase_order_lines l JOIN purchase_orders o ON o.id = l.purchase_order_id
                       WHERE o.status = 'draft' GROUP BY l.item_id) d ON d.item_id = i.id
            WHERE i.type = 'stock' AND i.active AND i.reorder_point IS NOT NULL
              AND coalesce(b.available, 0) + coalesce(inc.quantity, 0) + coalesce(d.quantity, 0) <= i.reorder_point
            ORDER BY i.sku, i.id
            """
        ).rows.map { row in
            ReorderRow(
                itemID: try row.decode("id"), sku: try row.decode("sku"), name: try row.decode("name"),
                reorderPoint: try row.decode("reorder_point"),
                reorderQuantity: try row.decodeIfPresent("reorder_quantity"),
                averageCost: try row.decode("average_cost"),
                supplierID: try row.decodeIfPresent("preferred_supplier_id"),
                supplierActive: try row.decode("supplier_active"), available: try row.decode("available"),
                incoming: try row.decode("incoming"), drafted: try row.decode("drafted"))
        }
    }

    // MARK: Rows

    static func supplier(_ row: Row) throws -> Supplier {
        let address: JSONValue? = try row.decodeIfPresent("address")
        return Supplier(
            id: try row.decode("id"), number: try row.decode("number"), name: try row.decode("name"),
            email: try row.decodeIfPresent("email"), phone: try row.decodeIfPresent("phone"),
            address: address.map(Address.init(stored:)),
            paymentTermsDays: try row.decode("payment_terms_days"),
            currency: try row.decode("currency"), status: try row.decodeEnum("status"),
            externalRef: try row.decodeIfPresent("external_ref"), createdAt: try row.decode("created_at"),
            updatedAt: try row.decode("updated_at"), version: try row.decode("version"))
    }

}
