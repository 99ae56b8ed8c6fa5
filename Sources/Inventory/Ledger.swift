import Core
import FoundationEssentials

/// One document line that takes stock out or holds it: reserve and ship (Sales).
public struct StockLine: Sendable, Equatable {
    /// The document's line number; reservations are kept per line, and shortages name it.
    public let lineNo: Int
    public let itemID: UUID
    public let warehouseID: UUID
    /// Greater than zero, at most 3 decimal places (the `ExactDecimal` guarantees the places).
    public let quantity: ExactDecimal

    public init(lineNo: Int, itemID: UUID, warehouseID: UUID, quantity: ExactDecimal) {
        self.lineNo = lineNo
        self.itemID = itemID
        self.warehouseID = warehouseID
        self.quantity = quantity
    }
}

/// One document line that brings stock in at a cost: receive (Purchasing).
public struct ReceiptLine: Sendable, Equatable {
    public let lineNo: Int
    public let itemID: UUID
    public let warehouseID: UUID
    /// Greater than zero.
    public let quantity: ExactDecimal
    /// Cost per unit in minor units of the installation's default currency, 0 or more.
    public let unitCost: Int64

    public init(lineNo: Int, itemID: UUID, warehouseID: UUID, quantity: ExactDecimal, unitCost: Int64) {
        self.lineNo = lineNo
        self.itemID = itemID
        self.warehouseID = warehouseID
        self.quantity = quantity
        self.unitCost = unitCost
    }
}

/// What a reservation line still holds (the answer of `release` and `reservations`).
public struct Reservation: Codable, Sendable, Equatable {
    public let reference: StockReference
    public let lineNo: Int
    public let itemId: UUID
    public let warehouseId: UUID
    /// What is still held (0 once released or shipped in full).
    public let quantity: ExactDecimal
}

/// One line that could not be served: `requested` against what the warehouse had `available`
/// (on hand less reserved) before the request. `lineNo` is nil for adjustments and transfers.
public struct Shortage: Codable, Sendable, Equatable {
    public let lineNo: Int?
    public let itemId: UUID
    public let warehouseId: UUID
    public let requested: ExactDecimal
    public let available: ExactDecimal

    public init(lineNo: Int?, itemId: UUID, warehouseId: UUID, requested: ExactDecimal, available: ExactDecimal) {
        self.lineNo = lineNo
        self.itemId = itemId
        self.warehouseId = warehouseId
        self.requested = requested
        self.available = available
    }
}

/// Stock would go below zero on hand or below what is reserved: nothing was written. Renders
/// as 409 `insufficient_stock` with `shortages: [{"line_no", "item_id", "warehouse_id",
/// "requested", "available"}]` (API.md "Sales orders"); every short line is listed.
public struct InsufficientStock: Error, ProblemConvertible, Sendable, Equatable {
    public let shortages: [Shortage]

    public init(shortages: [Shortage]) { self.shortages = shortages }

    public var problem: AppError {
        let list = (try? JSONValueEncoder().encode(shortages)) ?? .array([])
        let first = shortages.first
        let detail =
            shortages.count == 1 && first != nil
            ? "insufficient stock: \(first!.requested) requested, \(first!.available) available"
            : "insufficient stock on \(shortages.count) lines"
        return AppError(.insufficientStock, detail, extra: JSONObject([("shortages", list)]))
    }
}

extension ProblemCode {
    /// 409: stock would go below zero on hand or below reserved; carries `shortages`.
    public static let insufficientStock = ProblemCode("insufficient_stock", .conflict)
    /// 409: the item is a service (or otherwise not kept in stock) and has no stock to change.
    public static let notStockItem = ProblemCode("not_stock_item", .conflict)
    /// 409: another warehouse has this `code`.
    public static let duplicateWarehouse = ProblemCode("duplicate_warehouse", .conflict)
}
