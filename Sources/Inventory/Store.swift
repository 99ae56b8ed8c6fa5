import Core
import Customers
import FoundationEssentials
import Platform
import Postgres

/// Filters of `GET /stock`.
struct StockFilter: Sendable {
    var itemID: UUID?
    var warehouseID: UUID?
    var belowReorder = false
}

/// Filters of `GET /stock/movements`.
struct MovementFilter: Sendable {
    var itemID: UUID?
    var warehouseID: UUID?
    var kind: MovementKind?
    var referenceType: String?
    var referenceID: UUID?
    var createdAfter: Date?
    var createdBefore: Date?
}

/// A balance row as locked for a write.
struct Balance: Sendable {
    let itemID: UUID
    let warehouseID: UUID
    let onHand: ExactDecimal
    let reserved: ExactDecimal

    var available: ExactDecimal { (try? onHand - reserved) ?? .zero }
}

/// SQL of warehouses, balances, the ledger and reservations. Reads join `items` (Catalog's
/// table) for the SKU, reorder point and average cost; nothing here writes it.
struct InventoryStore: Sendable {
    // MARK: Warehouses

    static let warehouseColumns: SQL = "id, code, name, address, created_at, updated_at, version"

    func insertWarehouse(code: String, name: String, address: Address?, in tx: Transaction) throws -> Warehouse {
        try Self.warehouse(
            tx.first(
                """
                INSERT INTO warehouses (code, name, address) VALUES (\(code), \(name), \(address?.stored))
                RETURNING \(Self.warehouseColumns)
                """)!)
    }

    /// With `lock`, `FOR NO KEY UPDATE`, so stock writers (which take `FOR KEY SHARE` through
    /// the foreign key) are not held up by an edit of the name.
    func warehouse(id: UUID, lock: Bool = false, in tx: Transaction) throws -> Warehouse? {
        let forUpdate: SQL = lock ? "FOR NO KEY UPDATE" : ""
        return try tx.first("SELECT \(Self.warehouseColumns) FROM warehouses WHERE id = \(id) \(forUpdate)").map(
            Self.warehouse)
    }

    func warehouse(code: String, in tx: Transaction) throws -> Warehouse? {
        try tx.first("SELECT \(Self.warehouseColumns) FROM warehouses WHERE lower(code) = lower(\(code))").map(
            Self.warehouse)
    }

    func warehouseIDs(_ ids: [UUID], in tx: Transaction) throws -> Set<UUID> {
        Set(
            try tx.query("SELECT id FROM warehouses WHERE id = ANY(\(ids))").rows.map {
                try $0.decode("id", as: UUID.self)
            })
    }

    func listWarehouses(after: (key: String, id: UUID)?, limit: Int, in tx: Transaction) throws -> [Warehouse] {
        let page = Keyset.createdAt.clause([], after: after, limit: limit)
        return try tx.query("SELECT \(Self.warehouseColumns) FROM warehouses \(page)").rows.map(Self.warehouse)
    }

    func updateWarehouse(_ warehouse: Warehouse, in tx: Transaction) throws -> Warehouse {
        try Self.warehouse(
            tx.first(
                """
                UPDATE warehouses SET code = \(warehouse.code), name = \(warehouse.name), address = \(warehouse.address?.stored),
                    updated_at = now(), version = version + 1
                WHERE id = \(warehouse.id) RETURNING \(Self.warehouseColumns)
                """)!)
    }

    // MARK: Balances

    /// Creates missing (zero) balance rows, in (item, warehouse) order so concurrent callers
    /// wait for each other in one order instead of deadlocking.
    func ensureBalances(_ pairs: [(item: UUID, warehouse: UUID)], in tx: Transaction) throws {
        try tx.execute(
            """
            INSERT INTO stock_balances (item_id, warehouse_id)
            SELECT i, w FROM unnest(\(pairs.map(\.item))::uuid[], \(pairs.map(\.warehouse))::uuid[]) AS p(i, w)
            ORDER BY i, w
            ON CONFLICT DO NOTHING
            """)
    }

    /// Locks the balance rows (`FOR UPDATE`) in (item id, warehouse id) order, the one order
    /// every writer uses, so two transactions never wait on each other in a cycle.
    func lockBalances(_ pairs: [(item: UUID, warehouse: UUID)], in tx: Transaction) throws -> [Balance] {
        try tx.query(
            """
            SELECT item_id, warehouse_id, on_hand, reserved FROM stock_balances
            WHERE (item_id, warehouse_id) IN (
                SELECT i, w FROM unnest(\(pairs.map(\.item))::uuid[], \(pairs.map(\.warehouse))::uuid[]) AS p(i, w))
            ORDER BY item_id, warehouse_id
            FOR UPDATE
            """
        ).rows.map(Self.balance)
    }

    /// Moves a balance by `onHand` and `reserved`, but only while the result keeps
    /// 0 ≤ reserved ≤ on_hand: the guard is in the statement, so it holds whichever instance
    /// runs it. Nil when the guard refused (nothing changed).
    func moveBalance(item: UUID, warehouse: UUID, onHand: ExactDecimal, reserved: ExactDecimal, in tx: Transaction)
        throws -> Balance?
    {
        try tx.first(
            """
            UPDATE stock_balances
            SET on_hand = on_hand + \(onHand), reserved = reserved + \(reserved), updated_at = now(), version = version + 1
            WHERE item_id = \(item) AND warehouse_id = \(warehouse)
              AND reserved + \(reserved) >= 0 AND on_hand + \(onHand) >= reserved + \(reserved)
            RETURNING item_id, warehouse_id, on_hand, reserved
            """
        ).map(Self.balance)
    }

    /// True when any warehouse has the item on hand or reserved.
    func holdsStock(item: UUID, in tx: Transaction) throws -> Bool {
        try tx.first(
            """
            SELECT EXISTS (SELECT 1 FROM stock_balances WHERE item_id = \(item) AND (on_hand <> 0 OR reserved <> 0)) AS held
            """)!.decode("held")
    }

    /// On hand of an item summed over every warehouse (for the moving average).
    func totalOnHand(item: UUID, in tx: Transaction) throws -> ExactDecimal {
        try tx.first("SELECT coalesce(sum(on_hand), 0) AS total FROM stock_balances WHERE item_id = \(item)")!.decode(
            "total")
    }

    static let stockColumns: SQL = """
        b.item_id, b.warehouse_id, i.sku, b.on_hand, b.reserved, b.on_hand - b.reserved AS available,
        coalesce(inc.quantity, 0) AS incoming, i.reorder_point, b.updated_at
        """

    /// Balances with their item and what open purchase orders will bring (`stock_incoming`,
    /// a view Purchasing fills).
    static let stockSource: SQL = """
        stock_balances b JOIN items i ON i.id = b.item_id
        LEFT JOIN stock_incoming inc ON inc.item_id = b.item_id AND inc.warehouse_id = b.warehouse_id
        """

    func stockLevel(item: UUID, warehouse: UUID, in tx: Transaction) throws -> StockLevel? {
        try tx.first(
            """
            SELECT \(Self.stockColumns) FROM \(Self.stockSource)
            WHERE b.item_id = \(item) AND b.warehouse_id = \(warehouse)
            """
        ).map(Self.stockLevel)
    }

    /// Keyset on (item id, warehouse id): the cursor's key is the item id, its id the warehouse.
    func listStock(_ filter: StockFilter, after: (key: String, id: UUID)?, limit: Int, in tx: Transaction) throws
        -> [StockLevel]
    {
        var conditions: [SQL] = []
        if let item = filter.itemID { conditions.append("b.item_id = \(item)") }
        if let warehouse = filter.warehouseID { conditions.append("b.warehouse_id = \(warehouse)") }
        if filter.belowReorder {
            conditions.append(
                """
                i.reorder_point IS NOT NULL AND i.type = 'stock'
                AND b.on_hand - b.reserved + coalesce(inc.quantity, 0) <= i.reorder_point
                """)
        }
        let page = Keyset("b.item_id", cast: "uuid", id: "b.warehouse_id").clause(
            conditions, after: after, limit: limit)
        return try tx.query("SELECT \(Self.stockColumns) FROM \(Self.stockSource) \(page)").rows.map(Self.stockLevel)
    }

    /// Every balance with stock on hand, with the item's moving average cost.
    func valuation(itemID: UUID?, warehouseID: UUID?, in tx: Transaction) throws -> [(
        item: UUID, warehouse: UUID, quantity: ExactDecimal, cost: Int64
    )] {
        var conditions: [SQL] = ["b.on_hand <> 0"]
        if let itemID { conditions.append("b.item_id = \(itemID)") }
        if let warehouseID { conditions.append("b.warehouse_id = \(warehouseID)") }
        return try tx.query(
            """
            SELECT b.item_id, b.warehouse_id, b.on_hand, i.average_cost
            FROM stock_balances b JOIN items i ON i.id = b.item_id
            WHERE \(SQL.join(conditions, separator: " AND "))
            ORDER BY i.sku, b.item_id, b.warehouse_id
            """
        ).rows.map { row in
            (
                try row.decode("item_id"), try row.decode("warehouse_id"), try row.decode("on_hand"),
                try row.decode("average_cost")
            )
        }
    }

    // MARK: Ledger

    static let movementColumns: SQL = """
        id, item_id, warehouse_id, quantity, kind, reference_type, reference_id, reference_number, reference_line, unit_cost,
        reason, created_at, created_by
        """

    func insertMovement(
        item: UUID, warehouse: UUID, quantity: ExactDecimal, kind: MovementKind, reference: StockReference?,
        lineNo: Int?, unitCost: Int64?, reason: String?, actor: UUID?, in tx: Transaction
    ) throws -> StockMovement {
        try Self.movement(
            tx.first(
                """
                INSERT INTO stock_movements (item_id, warehouse_id, quantity, kind, reference_type, reference_id, reference_number,
                                             reference_line, unit_cost, reason, created_by)
                VALUES (\(item), \(warehouse), \(quantity), \(kind.rawValue), \(reference?.type), \(reference?.id), \(reference?.number),
                        \(lineNo), \(unitCost), \(reason), \(actor))
                RETURNING \(Self.movementColumns)
                """)!)
    }

    func movement(id: UUID, in tx: Transaction) throws -> StockMovement? {
        try tx.first("SELECT \(Self.movementColumns) FROM stock_movements WHERE id = \(id)").map(Self.movement)
    }

    func listMovements(_ filter: MovementFilter, after: (key: String, id: UUID)?, limit: Int, in tx: Transaction) throws
        -> [StockMovement]
    {
        var conditions: [SQL] = []
        if let item = filter.itemID { conditions.append("item_id = \(item)") }
        if let warehouse = filter.warehouseID { conditions.append("warehouse_id = \(warehouse)") }
        if let kind = filter.kind { conditions.append("kind = \(kind.rawValue)") }
        if let type = filter.referenceType { conditions.append("reference_type = \(type)") }
        if let id = filter.referenceID { conditions.append("reference_id = \(id)") }
        if let after = filter.createdAfter { conditions.append("created_at > \(after)") }
        if let before = filter.createdBefore { conditions.append("created_at < \(before)") }
        let page = Keyset.createdAt.clause(conditions, after: after, limit: limit)
        return try tx.query("SELECT \(Self.movementColumns) FROM stock_movements \(page)").rows.map(Self.movement)
    }

    // MARK: Reservations

    /// Adds `quantity` to the line's reservation (creating it). Nil when the line is already
    /// reserved for another item or warehouse.
    func addReservation(reference: StockReference, line: StockLine, in tx: Transaction) throws -> Bool {
        try tx.first(
            """
            INSERT INTO stock_reservations (reference_type, reference_id, reference_line, reference_number, item_id, warehouse_id, quantity)
            VALUES (\(reference.type), \(reference.id), \(line.lineNo), \(reference.number), \(line.itemID), \(line.warehouseID),
                    \(line.quantity))
            ON CONFLICT (reference_type, reference_id, reference_line) DO UPDATE
            SET quantity = stock_reservations.quantity + excluded.quantity, item_id = excluded.item_id,
                warehouse_id = excluded.warehouse_id, updated_at = now(), version = stock_reservations.version + 1
            -- A line that holds nothing any more (released, e.g. an order taken back to draft
            -- and changed) may hold another item or warehouse; one that holds stock may not.
            WHERE (stock_reservations.item_id = excluded.item_id AND stock_reservations.warehouse_id = excluded.warehouse_id)
               OR stock_reservations.quantity = 0
            RETURNING id
            """) != nil
    }

    /// The reservations of a document (every line, or the given ones), locked, in
    /// (item, warehouse, line) order.
    func lockReservations(reference: StockReference, lines: [Int]?, in tx: Transaction) throws -> [Reservation] {
        let only: SQL = lines.map { " AND reference_line = ANY(\($0.map(String.init))::int[])" } ?? ""
        return try tx.query(
            """
            SELECT reference_type, reference_id, reference_number, reference_line, item_id, warehouse_id, quantity
            FROM stock_reservations
            WHERE reference_type = \(reference.type) AND reference_id = \(reference.id)\(only)
            ORDER BY item_id, warehouse_id, reference_line
            FOR UPDATE
            """
        ).rows.map(Self.reservation)
    }

    func reduceReservation(reference: StockReference, lineNo: Int, by quantity: ExactDecimal, in tx: Transaction) throws
    {
        try tx.execute(
            """
            UPDATE stock_reservations SET quantity = quantity - \(quantity), updated_at = now(), version = version + 1
            WHERE reference_type = \(reference.type) AND reference_id = \(reference.id) AND reference_line = \(lineNo)
            """)
    }

    // MARK: Rows

    static func warehouse(_ row: Row) throws -> Warehouse {
        let address: JSONValue? = try row.decodeIfPresent("address")
        return Warehouse(
            id: try row.decode("id"), code: try row.decode("code"), name: try row.decode("name"),
            address: address.map(Address.init(stored:)),
            createdAt: try row.decode("created_at"),
            updatedAt: try row.decode("updated_at"), version: try row.decode("version"))
    }

    static func balance(_ row: Row) throws -> Balance {
        Balance(
            itemID: try row.decode("item_id"), warehouseID: try row.decode("warehouse_id"),
            onHand: try row.decode("on_hand"),
            reserved: try row.decode("reserved"))
    }

    static func stockLevel(_ row: Row) throws -> StockLevel {
        StockLevel(
            itemId: try row.decode("item_id"), warehouseId: try row.decode("warehouse_id"), sku: try row.decode("sku"),
            onHand: try row.decode("on_hand"), reserved: try row.decode("reserved"),
            available: try row.decode("available"),
            incoming: try row.decode("incoming"), reorderPoint: try row.decodeIfPresent("reorder_point"),
            updatedAt: try row.decode("updated_at"))
    }

    static func movement(_ row: Row) throws -> StockMovement {
        let kind = try row.decodeEnum("kind", as: MovementKind.self)
        var reference: MovementReference?
        if let type: String = try row.decodeIfPresent("reference_type"),
            let id: UUID = try row.decodeIfPresent("reference_id")
        {
            reference = MovementReference(
                type: type, id: id, number: try row.decodeIfPresent("reference_number"),
                lineNo: try row.decodeIfPresent("reference_line"))
        }
        return StockMovement(
            id: try row.decode("id"), itemId: try row.decode("item_id"), warehouseId: try row.decode("warehouse_id"),
            quantity: try row.decode("quantity"), kind: kind, reference: reference,
            unitCost: try row.decodeIfPresent("unit_cost"), reason: try row.decodeIfPresent("reason"),
            createdAt: try row.decode("created_at"), createdBy: try row.decodeIfPresent("created_by"))
    }

    static func reservation(_ row: Row) throws -> Reservation {
        Reservation(
            reference: StockReference(
                type: try row.decode("reference_type"), id: try row.decode("reference_id"),
                number: try row.decodeIfPresent("reference_number")),
            lineNo: try row.decode("reference_line"), itemId: try row.decode("item_id"),
            warehouseId: try row.decode("warehouse_id"), quantity: try row.decode("quantity"))
    }
}
