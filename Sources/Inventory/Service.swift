import Catalog
import Core
import Customers
import FoundationEssentials
import Platform
import Postgres

/// Warehouses, stock balances, the append-only ledger, adjustments, transfers and valuation.
/// The reserve/release/ship/receive API for other modules is in `Service+Ledger.swift`.
///
/// Every write locks the balance rows it changes (`SELECT … FOR UPDATE` in item id, then
/// warehouse id order) and moves them with a guarded `UPDATE` that keeps
/// 0 ≤ reserved ≤ on_hand, in the same transaction as the ledger row: concurrency is decided
/// by PostgreSQL, so any number of server instances may share one database.
public final class InventoryService: Sendable {
    let pool: ConnectionPool
    let events: EventLog
    let catalog: CatalogService
    let store = InventoryStore()
    /// `CONCORD_DEFAULT_CURRENCY`: the currency of unit costs, average costs and valuation.
    public let currency: String

    /// - currency: the installation's default currency (`CONCORD_DEFAULT_CURRENCY`), in which
    ///   unit costs, average costs and the valuation are counted.
    /// Installs Catalog's stock probe, so an item holding stock cannot become a service.
    public init(pool: ConnectionPool, events: EventLog, catalog: CatalogService, currency: String) {
        self.pool = pool
        self.events = events
        self.catalog = catalog
        self.currency = currency
        let store = self.store
        catalog.setStockProbe { item, tx in try store.holdsStock(item: item, in: tx) }
    }

    // MARK: Warehouses

    func createWarehouse(_ input: WarehouseCreate, actor: Principal?) throws -> Warehouse {
        let draft = Warehouse(
            id: UUID(), code: input.code, name: input.name, address: input.address, createdAt: Date(),
            updatedAt: Date(), version: 1)
        let errors = WarehouseRules.problems(draft)
        if !errors.isEmpty { throw AppError.validation(errors) }
        return try pool.transaction { tx in
            let warehouse = try uniquely {
                try store.insertWarehouse(code: input.code, name: input.name, address: input.address, in: tx)
            }
            return try events.recorded("warehouse.created", warehouse, actor: actor, in: tx)
        }
    }

    /// Creates a warehouse outside HTTP (`concord seed --demo`).
    public func createWarehouse(code: String, name: String, address: Address? = nil, actor: Principal? = nil) throws
        -> Warehouse
    {
        try createWarehouse(WarehouseCreate(code: code, name: name, address: address), actor: actor)
    }

    /// The warehouse with this code (case-insensitive), or nil.
    public func warehouse(code: String) throws -> Warehouse? {
        try pool.read { tx in try store.warehouse(code: code, in: tx) }
    }

    private func uniquely<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PostgresError where error.state == .uniqueViolation {
            throw AppError(
                .duplicateWarehouse, "a warehouse with this code already exists",
                errors: [FieldError(field: "code", message: "is already taken")])
        }
    }

    func warehouse(_ id: UUID) throws -> Warehouse {
        try pool.record("warehouse") { tx in try store.warehouse(id: id, in: tx) }
    }

    func listWarehouses(_ page: PageRequest) throws -> Page<Warehouse> {
        try pool.page(page) { tx in try store.listWarehouses(after: page.after, limit: page.limit, in: tx) }
    }

    func updateWarehouse(_ id: UUID, patch: WarehousePatch, ifMatch: (Int) throws -> Void, actor: Principal) throws
        -> Warehouse
    {
        try pool.transaction { tx in
            guard let current = try store.warehouse(id: id, lock: true, in: tx) else {
                throw AppError.notFound("warehouse")
            }
            try ifMatch(current.version)
            let changed = try patch.applied(to: current)
            if changed == current { return current }
            let updated = try uniquely { try store.updateWarehouse(changed, in: tx) }
            try events.append(
                "warehouse.updated", resourceType: "warehouse", resourceID: id, resource: updated, actor: actor, in: tx)
            return updated
        }
    }

    // MARK: Reading stock

    func listStock(_ filter: StockFilter, page: PageRequest) throws -> Page<StockLevel> {
        let rows = try pool.read { tx in try store.listStock(filter, after: page.after, limit: page.limit, in: tx) }
        return page.page(rows, key: { $0.itemId.uuidString.lowercased() }, id: \.warehouseId)
    }

    func listMovements(_ filter: MovementFilter, page: PageRequest) throws -> Page<StockMovement> {
        try pool.page(page) { tx in try store.listMovements(filter, after: page.after, limit: page.limit, in: tx) }
    }

    func movement(_ id: UUID) throws -> StockMovement {
        try pool.record("stock movement") { tx in try store.movement(id: id, in: tx) }
    }

    /// The stock of one item in one warehouse (zero when nothing was ever there).
    public func stockLevel(itemID: UUID, warehouseID: UUID, in tx: Transaction) throws -> StockLevel {
        if let level = try store.stockLevel(item: itemID, warehouse: warehouseID, in: tx) { return level }
        let sku = try catalog.item(id: itemID, in: tx)?.sku ?? ""
        return StockLevel(
            itemId: itemID, warehouseId: warehouseID, sku: sku, onHand: .zero, reserved: .zero, available: .zero,
            incoming: .zero, reorderPoint: nil, updatedAt: Date())
    }

    /// Quantity × moving average cost per item and warehouse, rounded half-even to minor units.
    func valuation(itemID: UUID?, warehouseID: UUID?) throws -> StockValuation {
        let rows = try pool.transaction { tx in try store.valuation(itemID: itemID, warehouseID: warehouseID, in: tx) }
        var total: Int64 = 0
        let lines = rows.map { row in
            let value = row.quantity.multipliedRoundingHalfEven(byMinorUnits: row.cost)
            total = total.addingReportingOverflow(value).overflow ? Int64.max : total + value
            return StockValuation.Line(
                itemId: row.item, warehouseId: row.warehouse, quantity: row.quantity, averageCost: row.cost,
                value: value)
        }
        return StockValuation(currency: currency, data: lines, totalValue: total)
    }

    // MARK: Adjustments and transfers

    func adjust(_ input: AdjustmentRequest, actor: Principal?) throws -> Adjustment {
        try input.validate()
        return try pool.transaction { tx in
            try requireStockItem(input.itemId, field: "item_id", in: tx)
            try requireWarehouses([input.warehouseId], fields: ["warehouse_id"], in: tx)
            let pair = (item: input.itemId, warehouse: input.warehouseId)
            try store.ensureBalances([pair], in: tx)
            guard let balance = try store.lockBalances([pair], in: tx).first else {
                throw AppError(.internalError, "balance row missing")
            }
            let delta: ExactDecimal
            do {
                delta = try input.countedQuantity.map { try $0 - balance.onHand } ?? input.quantityDelta!
            } catch {
                throw AppError.validation([FieldError(field: "counted_quantity", message: "is out of range")])
            }
            if delta.isZero {
                // A count that matches the books records nothing.
                return Adjustment(
                    itemId: input.itemId, warehouseId: input.warehouseId, countedQuantity: input.countedQuantity,
                    quantityDelta: delta, reason: input.reason, movement: nil,
                    stock: try stockLevel(itemID: input.itemId, warehouseID: input.warehouseId, in: tx))
            }
            guard
                try store.moveBalance(
                    item: input.itemId, warehouse: input.warehouseId, onHand: delta, reserved: .zero, in: tx) != nil
            else {
                throw InsufficientStock(shortages: [
                    Shortage(
                        lineNo: nil, itemId: input.itemId, warehouseId: input.warehouseId,
                        requested: delta.negated, available: balance.available)
                ])
            }
            let movement = try store.insertMovement(
                item: input.itemId, warehouse: input.warehouseId, quantity: delta, kind: .adjustment,
                reference: nil, lineNo: nil, unitCost: nil, reason: input.reason,
                actor: actor?.userID, in: tx)
            let adjustment = Adjustment(
                itemId: input.itemId, warehouseId: input.warehouseId, countedQuantity: input.countedQuantity,
                quantityDelta: delta, reason: input.reason, movement: movement,
                stock: try stockLevel(itemID: input.itemId, warehouseID: input.warehouseId, in: tx))
            try events.append(
                "stock.adjusted", resourceType: "stock_movement", resourceID: movement.id, resource: adjustment,
                actor: actor, in: tx)
            return adjustment
        }
    }

    /// Adjusts stock outside HTTP (`concord seed --demo`, tests): same rules as `POST /stock/adjustments`.
    public func adjust(
        itemID: UUID, warehouseID: UUID, quantityDelta: ExactDecimal? = nil, countedQuantity: ExactDecimal? = nil,
        reason: String, actor: Principal? = nil
    ) throws -> Adjustment {
        try adjust(
            AdjustmentRequest(
                itemId: itemID, warehouseId: warehouseID, countedQuantity: countedQuantity,
                quantityDelta: quantityDelta, reason: reason), actor: actor)
    }

    func transfer(_ input: TransferRequest, actor: Principal?) throws -> Transfer {
        try input.validate()
        return try pool.transaction { tx in
            try requireStockItem(input.itemId, field: "item_id", in: tx)
            try requireWarehouses(
                [input.fromWarehouseId, input.toWarehouseId], fields: ["from_warehouse_id", "to_warehouse_id"], in: tx)
            let pairs = [
                (item: input.itemId, warehouse: input.fromWarehouseId),
                (item: input.itemId, warehouse: input.toWarehouseId),
            ]
            try store.ensureBalances(pairs, in: tx)
            let balances = try store.lockBalances(pairs, in: tx)
            let available = balances.first { $0.warehouseID == input.fromWarehouseId }?.available ?? .zero
            guard
                try store.moveBalance(
                    item: input.itemId, warehouse: input.fromWarehouseId, onHand: input.quantity.negated,
                    reserved: .zero, in: tx) != nil
            else {
                throw InsufficientStock(shortages: [
                    Shortage(
                        lineNo: nil, itemId: input.itemId, warehouseId: input.fromWarehouseId,
                        requested: input.quantity, available: available)
                ])
            }
            guard
                try store.moveBalance(
                    item: input.itemId, warehouse: input.toWarehouseId, onHand: input.quantity, reserved: .zero,
                    in: tx) != nil
            else { throw AppError(.internalError, "balance row missing") }
            let reference = StockReference(type: "transfer", id: UUID())
            let out = try store.insertMovement(
                item: input.itemId, warehouse: input.fromWarehouseId, quantity: input.quantity.negated,
                kind: .transferOut, reference: reference, lineNo: nil, unitCost: nil,
                reason: input.reason, actor: actor?.userID, in: tx)
            let into = try store.insertMovement(
                item: input.itemId, warehouse: input.toWarehouseId, quantity: input.quantity,
                kind: .transferIn, reference: reference, lineNo: nil, unitCost: nil,
                reason: input.reason, actor: actor?.userID, in: tx)
            let transfer = Transfer(
                id: reference.id, itemId: input.itemId, fromWarehouseId: input.fromWarehouseId,
                toWarehouseId: input.toWarehouseId, quantity: input.quantity, reason: input.reason,
                movements: [out, into],
                fromStock: try stockLevel(itemID: input.itemId, warehouseID: input.fromWarehouseId, in: tx),
                toStock: try stockLevel(itemID: input.itemId, warehouseID: input.toWarehouseId, in: tx))
            try events.append(
                "stock.transferred", resourceType: "stock_transfer", resourceID: reference.id, resource: transfer,
                actor: actor, in: tx)
            return transfer
        }
    }

    // MARK: Checks shared with the ledger API

    /// The item must exist (else a 422 on `field`) and be kept in stock (else 409 `not_stock_item`);
    /// it stays shared until `tx` ends, so it cannot become a service meanwhile.
    @discardableResult
    func requireStockItem(_ id: UUID, field: String, in tx: Transaction) throws -> Item {
        guard let item = try catalog.shareItems(ids: [id], in: tx).first else {
            throw AppError.validation([FieldError(field: field, message: "names no item")])
        }
        guard item.isStocked else {
            throw AppError(
                .notStockItem, "item \(item.sku) is a service and has no stock",
                errors: [FieldError(field: field, message: "is a service item")])
        }
        return item
    }

    /// Each id must name a warehouse, else a 422 on its field.
    func requireWarehouses(_ ids: [UUID], fields: [String], in tx: Transaction) throws {
        let found = try store.warehouseIDs(ids, in: tx)
        let errors = zip(ids, fields).filter { !found.contains($0.0) }.map {
            FieldError(field: $0.1, message: "names no warehouse")
        }
        if !errors.isEmpty { throw AppError.validation(errors) }
    }
}

/// Listed in creation order.
extension Warehouse: CreatedRecord {}
extension StockMovement: CreatedRecord {}
