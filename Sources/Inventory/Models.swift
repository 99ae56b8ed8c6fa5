import Catalog
import Core
import Customers
import FoundationEssentials
import Platform

// MARK: Warehouses

/// A place stock is kept (`/warehouses`).
public struct Warehouse: Decodable, JSONMembers, Sendable, Equatable {
    public let id: UUID
    /// Short unique code (case-insensitive), e.g. `MAIN`.
    public var code: String
    public var name: String
    /// The address object of every address in the API (`line1` … `country`).
    public var address: Address?
    public let createdAt: Date
    public var updatedAt: Date
    public var version: Int

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("id", id)
        try object.member("code", code)
        try object.member("name", name)
        try object.member("address", address)
        try object.member("created_at", createdAt)
        try object.member("updated_at", updatedAt)
        try object.member("version", version)
    }
}

/// `POST /warehouses`.
struct WarehouseCreate: Decodable {
    var code: String
    var name: String
    var address: Address?

    static let readOnly: Set<String> = ["id", "created_at", "updated_at", "version"]
}

/// `PATCH /warehouses/{id}`: a merge patch of `code`, `name`, `address` (null clears the
/// address; an object merges into it, RFC 7396).
struct WarehousePatch: Decodable {
    var code: FieldPatch<String> = .absent
    var name: FieldPatch<String> = .absent
    var address: FieldPatch<JSONValue> = .absent

    static let readOnly: Set<String> = WarehouseCreate.readOnly

    enum CodingKeys: String, CodingKey { case code, name, address }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        code = try c.patch(String.self, forKey: .code)
        name = try c.patch(String.self, forKey: .name)
        address = try c.patch(JSONValue.self, forKey: .address)
    }

    func applied(to warehouse: Warehouse) throws -> Warehouse {
        var result = warehouse
        var errors: [FieldError] = []
        switch code {
        case .absent: break
        case .null: errors.append(FieldError(field: "code", message: "must not be null"))
        case .value(let value): result.code = value
        }
        switch name {
        case .absent: break
        case .null: errors.append(FieldError(field: "name", message: "must not be null"))
        case .value(let value): result.name = value
        }
        switch address {
        case .absent: break
        case .null: result.address = nil
        case .value(let patch):
            guard patch.objectValue != nil else {
                throw AppError.validation([FieldError(field: "address", message: "must be an address object or null")])
            }
            let current = try warehouse.address.map { try JSONValueEncoder().encode($0) } ?? .object(JSONObject([]))
            // Decoded under its member name, so a bad field is reported as `address.<field>`.
            struct Holder: Decodable { var address: Address }
            let merged = JSONValue.object(JSONObject([("address", current.mergePatched(with: patch))]))
            result.address = try merged.decodeModel(Holder.self).address
        }
        errors += WarehouseRules.problems(result)
        if !errors.isEmpty { throw AppError.validation(errors) }
        return result
    }
}

enum WarehouseRules {
    static func problems(_ warehouse: Warehouse) -> [FieldError] {
        var errors: [FieldError] = []
        let code = warehouse.code
        if code.isEmpty || code.count > 32
            || !code.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        {
            errors.append(FieldError(field: "code", message: "must be 1 to 32 letters, digits, - or _"))
        }
        if warehouse.name.trimmed().isEmpty {
            errors.append(FieldError(field: "name", message: "must not be empty"))
        } else if warehouse.name.count > 200 {
            errors.append(FieldError(field: "name", message: "must be at most 200 characters"))
        }
        errors += warehouse.address?.problems(at: "address") ?? []
        return errors
    }
}

// MARK: Stock

/// Stock of one item in one warehouse (`GET /stock`).
public struct StockLevel: Decodable, JSONMembers, Sendable, Equatable {
    public let itemId: UUID
    public let warehouseId: UUID
    public let sku: String
    public let onHand: ExactDecimal
    public let reserved: ExactDecimal
    /// `on_hand − reserved`.
    public let available: ExactDecimal
    /// Open purchase order quantity; 0 until Purchasing exists.
    public let incoming: ExactDecimal
    public let reorderPoint: ExactDecimal?
    public let updatedAt: Date

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("item_id", itemId)
        try object.member("warehouse_id", warehouseId)
        try object.member("sku", sku)
        try object.member("on_hand", onHand)
        try object.member("reserved", reserved)
        try object.member("available", available)
        try object.member("incoming", incoming)
        try object.member("reorder_point", reorderPoint)
        try object.member("updated_at", updatedAt)
    }
}

/// What a movement did (`stock_movements.kind`).
public enum MovementKind: String, Codable, Sendable, CaseIterable {
    case receipt, shipment, adjustment
    case transferIn = "transfer_in"
    case transferOut = "transfer_out"
    /// Goods a customer sent back, in at the unit cost they shipped at.
    case `return`
}

/// The document (or adjustment, or transfer) a movement or reservation belongs to. Sales uses
/// `type: "sales_order"` with the order's id and number, Purchasing `"purchase_order"`.
public struct StockReference: Decodable, JSONMembers, Sendable, Hashable {
    public let type: String
    public let id: UUID
    public let number: String?

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("type", type)
        try object.member("id", id)
        try object.member("number", number)
    }

    public init(type: String, id: UUID, number: String? = nil) {
        self.type = type
        self.id = id
        self.number = number
    }
}

/// The reference as a movement shows it: the document plus the line it came from.
public struct MovementReference: Decodable, JSONMembers, Sendable, Equatable {
    public let type: String
    public let id: UUID
    public let number: String?
    public let lineNo: Int?

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("type", type)
        try object.member("id", id)
        try object.member("number", number)
        try object.member("line_no", lineNo)
    }
}

/// One ledger entry (`GET /stock/movements`). Never changes once written.
public struct StockMovement: Decodable, JSONMembers, Sendable, Equatable {
    public let id: UUID
    public let itemId: UUID
    public let warehouseId: UUID
    /// Positive into the warehouse, negative out of it.
    public let quantity: ExactDecimal
    public let kind: MovementKind
    public let reference: MovementReference?
    /// Cost per unit in minor units of the installation's default currency: what a receipt paid, or
    /// the moving average a shipment took the goods out at.
    @Cost public var unitCost: Int64?
    public let reason: String?
    public let createdAt: Date
    public let createdBy: UUID?

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("id", id)
        try object.member("item_id", itemId)
        try object.member("warehouse_id", warehouseId)
        try object.member("quantity", quantity)
        try object.member("kind", kind)
        try object.member("reference", reference)
        try object.member("unit_cost", _unitCost)
        try object.member("reason", reason)
        try object.member("created_at", createdAt)
        try object.member("created_by", createdBy)
    }
}

/// `POST /stock/adjustments`: exactly one of `counted_quantity` (what a count found) and
/// `quantity_delta` (a signed change), with a `reason`.
struct AdjustmentRequest: Decodable {
    var itemId: UUID
    var warehouseId: UUID
    var countedQuantity: ExactDecimal?
    var quantityDelta: ExactDecimal?
    var reason: String

    func validate() throws {
        var errors: [FieldError] = []
        switch (countedQuantity, quantityDelta) {
        case (nil, nil):
            errors.append(
                FieldError(
                    field: "counted_quantity", message: "send exactly one of counted_quantity and quantity_delta"))
        case (.some, .some):
            errors.append(
                FieldError(field: "quantity_delta", message: "send exactly one of counted_quantity and quantity_delta"))
        case (.some(let counted), nil) where counted.isNegative:
            errors.append(FieldError(field: "counted_quantity", message: "must not be negative"))
        case (nil, .some(let delta)) where delta.isZero:
            errors.append(FieldError(field: "quantity_delta", message: "must not be zero"))
        default: break
        }
        if let message = StockRules.reasonProblem(reason) {
            errors.append(FieldError(field: "reason", message: message))
        }
        if !errors.isEmpty { throw AppError.validation(errors) }
    }
}

/// The answer to an adjustment: the movement it recorded (none when a count matched the books)
/// and the stock after it.
public struct Adjustment: Codable, Sendable {
    public let itemId: UUID
    public let warehouseId: UUID
    public let countedQuantity: ExactDecimal?
    public let quantityDelta: ExactDecimal
    public let reason: String
    public let movement: StockMovement?
    public let stock: StockLevel
}

/// `POST /stock/transfers`.
struct TransferRequest: Decodable {
    var itemId: UUID
    var fromWarehouseId: UUID
    var toWarehouseId: UUID
    var quantity: ExactDecimal
    var reason: String?

    func validate() throws {
        var errors: [FieldError] = []
        if fromWarehouseId == toWarehouseId {
            errors.append(FieldError(field: "to_warehouse_id", message: "must differ from from_warehouse_id"))
        }
        if quantity.isNegative || quantity.isZero {
            errors.append(FieldError(field: "quantity", message: "must be greater than zero"))
        }
        if let reason, let message = StockRules.reasonProblem(reason) {
            errors.append(FieldError(field: "reason", message: message))
        }
        if !errors.isEmpty { throw AppError.validation(errors) }
    }
}

/// The answer to a transfer: its id (the `reference.id` of both movements), the two movements
/// and the stock of both warehouses after it.
public struct Transfer: Codable, Sendable {
    public let id: UUID
    public let itemId: UUID
    public let fromWarehouseId: UUID
    public let toWarehouseId: UUID
    public let quantity: ExactDecimal
    public let reason: String?
    public let movements: [StockMovement]
    public let fromStock: StockLevel
    public let toStock: StockLevel
}

/// `GET /reports/stock-valuation`.
struct StockValuation: Encodable {
    struct Line: Encodable {
        let itemId: UUID
        let warehouseId: UUID
        let quantity: ExactDecimal
        @Cost var averageCost: Int64
        @Cost var value: Int64
    }

    let currency: String
    let data: [Line]
    @Cost var totalValue: Int64
}

enum StockRules {
    static func reasonProblem(_ reason: String) -> String? {
        if reason.trimmed().isEmpty { return "must not be empty" }
        if reason.count > 500 { return "must be at most 500 characters" }
        return nil
    }
}
