import Catalog
import Core
import FoundationEssentials
import Platform
import Postgres

/// The stock API that Sales and Purchasing call inside their own transactions (`in tx:`), so a
/// document and its stock commit or roll back together. None of these opens a transaction.
///
/// - `reserve` holds stock for document lines, all lines or none (409 `insufficient_stock`
///   listing every short line).
/// - `release` gives back what a document (or some of its lines) still holds.
/// - `ship` takes stock out: on hand falls, and so does the line's reservation; a `shipment`
///   movement records it with the reference.
/// - `receive` brings stock in at a unit cost: a `receipt` movement, and the item's moving
///   average cost is recomputed.
///
/// Locking: balance rows are locked in (item id, warehouse id) order by every writer, and
/// moved by guarded `UPDATE`s, so concurrent callers on any number of instances never
/// oversell and never deadlock on balances. `receive` locks the items first (in id order).
/// Calls for one reference are expected to be serialised by the caller (Sales locks its order
/// row first), since reserve locks balances then the reference's reservations while release
/// and ship lock them the other way round.
/// Each call appends one event (`stock.reserved`, `stock.released`, `stock.shipped`,
/// `stock.received`) whose resource is the reference (`reference.type`, `reference.id`), so the
/// document's history shows it.
extension InventoryService {
    /// Reserves every line for `reference` (document type + id; reservations are kept per
    /// `lineNo`), or nothing: when any (item, warehouse) has less available (on hand − reserved)
    /// than its lines ask for together, throws `InsufficientStock` naming each such line with
    /// what was available, and writes nothing.
    ///
    /// Reserving a line that already holds stock adds to it (same item and warehouse only).
    /// Errors: 422 `validation_failed` for quantities ≤ 0, repeated line numbers, items or
    /// warehouses that do not exist (`lines[i].item_id`, with `i` the index in `lines`);
    /// 409 `not_stock_item` for a service item.
    public func reserve(lines: [StockLine], reference: StockReference, actor: Principal? = nil, in tx: Transaction)
        throws
    {
        guard !lines.isEmpty else { return }
        try validate(lines.map { ($0.lineNo, $0.itemID, $0.warehouseID, $0.quantity) }, in: tx)
        let pairs = Self.pairs(lines.map { ($0.itemID, $0.warehouseID) })
        try store.ensureBalances(pairs, in: tx)
        let balances = try store.lockBalances(pairs, in: tx)
        // Lines of one item and warehouse compete for the same stock: compare their sum.
        var totals: [BalanceKey: ExactDecimal] = [:]
        for line in lines {
            let key = BalanceKey(line.itemID, line.warehouseID)
            totals[key] = try sum(totals[key], line.quantity)
        }
        var shortages: [Shortage] = []
        for line in lines {
            let key = BalanceKey(line.itemID, line.warehouseID)
            let available = balances.first { BalanceKey($0.itemID, $0.warehouseID) == key }?.available ?? .zero
            if totals[key]! > available {
                shortages.append(
                    Shortage(
                        lineNo: line.lineNo, itemId: line.itemID, warehouseId: line.warehouseID,
                        requested: line.quantity, available: available))
            }
        }
        if !shortages.isEmpty { throw InsufficientStock(shortages: shortages) }
        for pair in pairs {
            let total = totals[BalanceKey(pair.item, pair.warehouse)]!
            guard
                try store.moveBalance(
                    item: pair.item, warehouse: pair.warehouse, onHand: .zero, reserved: total, in: tx) != nil
            else {
                throw InsufficientStock(shortages: [
                    Shortage(
                        lineNo: nil, itemId: pair.item, warehouseId: pair.warehouse,
                        requested: total, available: .zero)
                ])
            }
        }
        for line in lines {
            guard try store.addReservation(reference: reference, line: line, in: tx) else {
                throw AppError(
                    .conflict,
                    "line \(line.lineNo) of \(reference.type) \(reference.id) already holds another item or warehouse")
            }
        }
        try events.append(
            "stock.reserved", resourceType: reference.type, resourceID: reference.id,
            resource: LedgerEvent(reference: reference, lines: lines.map(LedgerEvent.Line.init)), actor: actor, in: tx)
    }

    /// Releases what `reference` still holds, on every line or only on `lines` (line numbers);
    /// returns what each line released (lines holding nothing are left out). Releasing twice
    /// releases nothing the second time.
    @discardableResult
    public func release(reference: StockReference, lines: [Int]? = nil, actor: Principal? = nil, in tx: Transaction)
        throws -> [Reservation]
    {
        let held = try store.lockReservations(reference: reference, lines: lines, in: tx).filter { !$0.quantity.isZero }
        guard !held.isEmpty else { return [] }
        let pairs = Self.pairs(held.map { ($0.itemId, $0.warehouseId) })
        _ = try store.lockBalances(pairs, in: tx)
        for pair in pairs {
            var total = ExactDecimal.zero
            for reservation in held where reservation.itemId == pair.item && reservation.warehouseId == pair.warehouse {
                total = try sum(total, reservation.quantity)
            }
            guard
                try store.moveBalance(
                    item: pair.item, warehouse: pair.warehouse, onHand: .zero, reserved: total.negated, in: tx) != nil
            else {
                throw AppError(.internalError, "reserved stock is out of step with its reservations")
            }
        }
        for reservation in held {
            try store.reduceReservation(
                reference: reference, lineNo: reservation.lineNo, by: reservation.quantity, in: tx)
        }
        try events.append(
            "stock.released", resourceType: reference.type, resourceID: reference.id,
            resource: LedgerEvent(reference: reference, lines: held.map(LedgerEvent.Line.init)), actor: actor, in: tx)
        return held
    }

    /// Ships `lines` for `reference`: on hand falls by each quantity, and the line's reservation
    /// (same item and warehouse) by as much of it as it holds; any part beyond the reservation
    /// must be available (on hand − reserved) or the call throws `InsufficientStock` and writes
    /// nothing. Records one `shipment` movement (negative quantity) per line, returned in order,
    /// each carrying the item's moving average cost at this moment as `unit_cost` (the items
    /// are share-locked, so no receipt moves the average until the shipment commits; later
    /// receipts never change the movement). Whether a line may ship that much
    /// (`over_shipment`) is the caller's rule.
    @discardableResult
    public func ship(lines: [StockLine], reference: StockReference, actor: Principal? = nil, in tx: Transaction) throws
        -> [StockMovement]
    {
        guard !lines.isEmpty else { return [] }
        try validate(lines.map { ($0.lineNo, $0.itemID, $0.warehouseID, $0.quantity) }, in: tx)
        let averageCost = Dictionary(
            uniqueKeysWithValues: try catalog.items(ids: lines.map(\.itemID), in: tx).map { ($0.id, $0.averageCost) })
        let held = try store.lockReservations(reference: reference, lines: lines.map(\.lineNo), in: tx)
        let pairs = Self.pairs(lines.map { ($0.itemID, $0.warehouseID) })
        try store.ensureBalances(pairs, in: tx)
        let balances = try store.lockBalances(pairs, in: tx)
        var fromReservation: [Int: ExactDecimal] = [:]
        var outOf: [BalanceKey: (onHand: ExactDecimal, reserved: ExactDecimal, unreserved: ExactDecimal)] = [:]
        for line in lines {
            let key = BalanceKey(line.itemID, line.warehouseID)
            let holding =
                held.first {
                    $0.lineNo == line.lineNo && $0.itemId == line.itemID && $0.warehouseId == line.warehouseID
                }?.quantity ?? .zero
            let taken = min(holding, line.quantity)
            fromReservation[line.lineNo] = taken
            let current = outOf[key] ?? (.zero, .zero, .zero)
            outOf[key] = (
                try sum(current.onHand, line.quantity), try sum(current.reserved, taken),
                try sum(current.unreserved, try line.quantity - taken)
            )
        }
        var shortages: [Shortage] = []
        for line in lines {
            let key = BalanceKey(line.itemID, line.warehouseID)
            let available = balances.first { BalanceKey($0.itemID, $0.warehouseID) == key }?.available ?? .zero
            let taken = fromReservation[line.lineNo]!
            if outOf[key]!.unreserved > available && taken < line.quantity {
                shortages.append(
                    Shortage(
                        lineNo: line.lineNo, itemId: line.itemID, warehouseId: line.warehouseID,
                        requested: line.quantity, available: try sum(taken, available)))
            }
        }
        if !shortages.isEmpty { throw InsufficientStock(shortages: shortages) }
        for pair in pairs {
            let out = outOf[BalanceKey(pair.item, pair.warehouse)]!
            guard
                try store.moveBalance(
                    item: pair.item, warehouse: pair.warehouse, onHand: out.onHand.negated,
                    reserved: out.reserved.negated, in: tx) != nil
            else {
                throw InsufficientStock(shortages: [
                    Shortage(
                        lineNo: nil, itemId: pair.item, warehouseId: pair.warehouse,
                        requested: out.onHand, available: .zero)
                ])
            }
        }
        var movements: [StockMovement] = []
        for line in lines {
            if let taken = fromReservation[line.lineNo], !taken.isZero {
                try store.reduceReservation(reference: reference, lineNo: line.lineNo, by: taken, in: tx)
            }
            movements.append(
                try store.insertMovement(
                    item: line.itemID, warehouse: line.warehouseID, quantity: line.quantity.negated,
                    kind: .shipment, reference: reference, lineNo: line.lineNo, unitCost: averageCost[line.itemID],
                    reason: nil, actor: actor?.userID, in: tx))
        }
        try events.append(
            "stock.shipped", resourceType: reference.type, resourceID: reference.id,
            resource: LedgerEvent(reference: reference, lines: lines.map(LedgerEvent.Line.init)), actor: actor, in: tx)
        return movements
    }

    /// Receives `lines` for `reference`: on hand rises, one `receipt` movement per line carries
    /// the unit cost, and each item's moving average cost becomes
    /// `(q_old × avg_old + q × cost) / (q_old + q)`, rounded half-even to a minor unit, where
    /// `q_old` is the item's on hand summed over every warehouse (one average per item, since
    /// the same goods cost the same wherever they sit). When `q_old` is 0 the average is the
    /// cost. Lines of one item apply in order. Costs are minor units of the default currency.
    @discardableResult
    ///
    /// `kind` is `receipt`, or `return` for goods a customer sent back at their shipped cost.
    public func receive(
        lines: [ReceiptLine], reference: StockReference, kind: MovementKind = .receipt, actor: Principal? = nil,
        in tx: Transaction
    ) throws -> [StockMovement] {
        guard !lines.isEmpty else { return [] }
        // Items first (for the average), in id order, then balances: the lock order of every
        // writer. Taken before `validate` shares them, so two receipts never both hold a share
        // and wait to upgrade it.
        var items: [UUID: Item] = [:]
        for id in Set(lines.map(\.itemID)).sorted(by: { $0.uuidString.lowercased() < $1.uuidString.lowercased() }) {
            items[id] = try catalog.lockItem(id: id, in: tx)
        }
        try validate(lines.map { ($0.lineNo, $0.itemID, $0.warehouseID, $0.quantity) }, in: tx)
        var errors: [FieldError] = []
        for (index, line) in lines.enumerated() {
            if let message = MoneyRules.problem(line.unitCost) {
                errors.append(FieldError(field: "lines[\(index)].unit_cost", message: message))
            }
        }
        if !errors.isEmpty { throw AppError.validation(errors) }
        let pairs = Self.pairs(lines.map { ($0.itemID, $0.warehouseID) })
        try store.ensureBalances(pairs, in: tx)
        _ = try store.lockBalances(pairs, in: tx)
        var movements: [StockMovement] = []
        for line in lines {
            let before = try store.totalOnHand(item: line.itemID, in: tx)
            let average = Self.movingAverage(
                quantity: before, cost: items[line.itemID]!.averageCost, adding: line.quantity,
                at: line.unitCost)
            if let updated = try catalog.setAverageCost(itemID: line.itemID, averageCost: average, in: tx) {
                items[line.itemID] = updated
            }
            guard
                try store.moveBalance(
                    item: line.itemID, warehouse: line.warehouseID, onHand: line.quantity, reserved: .zero, in: tx)
                    != nil
            else {
                throw AppError(.internalError, "balance row missing")
            }
            movements.append(
                try store.insertMovement(
                    item: line.itemID, warehouse: line.warehouseID, quantity: line.quantity,
                    kind: kind, reference: reference, lineNo: line.lineNo,
                    unitCost: line.unitCost, reason: nil, actor: actor?.userID, in: tx))
        }
        try events.append(
            kind == .return ? "stock.returned" : "stock.received", resourceType: reference.type,
            resourceID: reference.id,
            resource: LedgerEvent(reference: reference, lines: lines.map(LedgerEvent.Line.init)), actor: actor, in: tx)
        return movements
    }

    /// One line received at `unitCost` (see `receive(lines:reference:actor:in:)`); returns its
    /// `receipt` movement.
    @discardableResult
    public func receive(
        itemID: UUID, warehouseID: UUID, quantity: ExactDecimal, unitCost: Int64, reference: StockReference,
        lineNo: Int = 1, actor: Principal? = nil, in tx: Transaction
    ) throws -> StockMovement {
        try receive(
            lines: [
                ReceiptLine(
                    lineNo: lineNo, itemID: itemID, warehouseID: warehouseID, quantity: quantity, unitCost: unitCost)
            ],
            reference: reference, actor: actor, in: tx)[0]
    }

    /// The reservations of a document, every line, including those that hold nothing any more,
    /// in line order; locked (`FOR UPDATE`) until `tx` ends, so the caller can act on them.
    public func reservations(reference: StockReference, in tx: Transaction) throws -> [Reservation] {
        try store.lockReservations(reference: reference, lines: nil, in: tx).sorted { $0.lineNo < $1.lineNo }
    }

    /// The moving average after adding `quantity` at `cost` to `old` units at `average`:
    /// `(old × average + quantity × cost) / (old + quantity)` rounded half-even, exactly (the
    /// quantities are thousandths, so the division is done on integers).
    public static func movingAverage(
        quantity old: ExactDecimal, cost average: Int64, adding quantity: ExactDecimal, at cost: Int64
    ) -> Int64 {
        let oldUnits = Int128(max(old.thousandths, 0))
        let newUnits = Int128(quantity.thousandths)
        let denominator = oldUnits + newUnits
        guard denominator > 0 else { return cost }
        let numerator = oldUnits * Int128(average) + newUnits * Int128(cost)
        return Int64(clamping: ExactDecimal.roundedHalfEven(numerator, dividedBy: denominator))
    }

    // MARK: Helpers

    /// Checks quantities (> 0), line numbers (unique), items (exist, stocked) and warehouses
    /// (exist), reporting fields as `lines[i].…`.
    private func validate(
        _ lines: [(lineNo: Int, item: UUID, warehouse: UUID, quantity: ExactDecimal)], in tx: Transaction
    ) throws {
        var errors: [FieldError] = []
        var seen = Set<Int>()
        for (index, line) in lines.enumerated() {
            if line.quantity.isNegative || line.quantity.isZero {
                errors.append(FieldError(field: "lines[\(index)].quantity", message: "must be greater than zero"))
            }
            if !seen.insert(line.lineNo).inserted {
                errors.append(FieldError(field: "lines[\(index)].line_no", message: "appears more than once"))
            }
        }
        let items = Dictionary(
            uniqueKeysWithValues: try catalog.shareItems(ids: lines.map(\.item), in: tx).map { ($0.id, $0) })
        let warehouses = try store.warehouseIDs(Array(Set(lines.map(\.warehouse))), in: tx)
        var services: [String] = []
        for (index, line) in lines.enumerated() {
            if let item = items[line.item] {
                if !item.isStocked { services.append("lines[\(index)].item_id") }
            } else {
                errors.append(FieldError(field: "lines[\(index)].item_id", message: "names no item"))
            }
            if !warehouses.contains(line.warehouse) {
                errors.append(FieldError(field: "lines[\(index)].warehouse_id", message: "names no warehouse"))
            }
        }
        if !errors.isEmpty { throw AppError.validation(errors) }
        if !services.isEmpty {
            throw AppError(
                .notStockItem, "service items have no stock",
                errors: services.map { FieldError(field: $0, message: "is a service item") })
        }
    }

    /// Distinct (item, warehouse) pairs; the SQL sorts them for locking.
    static func pairs(_ list: [(UUID, UUID)]) -> [(item: UUID, warehouse: UUID)] {
        var seen = Set<BalanceKey>()
        return list.filter { seen.insert(BalanceKey($0.0, $0.1)).inserted }.map { (item: $0.0, warehouse: $0.1) }
    }

    private func sum(_ a: ExactDecimal?, _ b: ExactDecimal) throws -> ExactDecimal {
        do {
            return try (a ?? .zero) + b
        } catch {
            throw AppError.validation([
                FieldError(field: "lines", message: "quantities add up past the largest quantity")
            ])
        }
    }
}

struct BalanceKey: Hashable {
    let item: UUID
    let warehouse: UUID
    init(_ item: UUID, _ warehouse: UUID) {
        self.item = item
        self.warehouse = warehouse
    }
}

/// The `data` of `stock.reserved`, `stock.released`, `stock.shipped` and `stock.received`.
struct LedgerEvent: Encodable {
    struct Line: Encodable {
        let lineNo: Int
        let itemId: UUID
        let warehouseId: UUID
        let quantity: ExactDecimal
        let unitCost: Int64?

        init(_ line: StockLine) {
            self.init(
                lineNo: line.lineNo, itemId: line.itemID, warehouseId: line.warehouseID, quantity: line.quantity,
                unitCost: nil)
        }

        init(_ line: ReceiptLine) {
            self.init(
                lineNo: line.lineNo, itemId: line.itemID, warehouseId: line.warehouseID, quantity: line.quantity,
                unitCost: line.unitCost)
        }

        init(_ reservation: Reservation) {
            self.init(
                lineNo: reservation.lineNo, itemId: reservation.itemId, warehouseId: reservation.warehouseId,
                quantity: reservation.quantity, unitCost: nil)
        }

        init(lineNo: Int, itemId: UUID, warehouseId: UUID, quantity: ExactDecimal, unitCost: Int64?) {
            self.lineNo = lineNo
            self.itemId = itemId
            self.warehouseId = warehouseId
            self.quantity = quantity
            self.unitCost = unitCost
        }
    }

    let reference: StockReference
    let lines: [LedgerEvent.Line]
}
