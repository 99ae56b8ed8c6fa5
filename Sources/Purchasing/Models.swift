import Core
import Customers
import FoundationEssentials
import Platform
import Postgres

/// A company Concord buys from (API.md "Purchasing": `/suppliers`), a master of its own beside
/// the customer master.
public struct Supplier: Decodable, JSONMembers, Sendable, Equatable {
    public let id: UUID
    public let number: String
    public var name: String
    public var email: String?
    public var phone: String?
    /// The address object every address in the API uses.
    public var address: Address?
    public var paymentTermsDays: Int
    /// The currency the supplier invoices in; a purchase order's default.
    public var currency: String
    public var status: Status
    public var externalRef: String?
    public let createdAt: Date
    public var updatedAt: Date
    public var version: Int

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("id", id)
        try object.member("number", number)
        try object.member("name", name)
        try object.member("email", email)
        try object.member("phone", phone)
        try object.member("address", address)
        try object.member("payment_terms_days", paymentTermsDays)
        try object.member("currency", currency)
        try object.member("status", status)
        try object.member("external_ref", externalRef)
        try object.member("created_at", createdAt)
        try object.member("updated_at", updatedAt)
        try object.member("version", version)
    }

    /// `inactive` suppliers keep their history but get no new purchase orders.
    public enum Status: String, Codable, Sendable, CaseIterable { case active, inactive }

    static let writableFields: Set<String> = [
        "name", "email", "phone", "address", "payment_terms_days", "currency", "status", "external_ref",
    ]
    static let readOnlyFields: Set<String> = ["id", "number", "created_at", "updated_at", "version"]
}

/// A supplier's writable fields, as created or after a merge patch; absent fields take the
/// defaults (30 days, the installation's currency, `active`).
struct SupplierInput: Codable {
    var name: String
    var email: String?
    var phone: String?
    var address: Address?
    var paymentTermsDays: Int?
    var currency: String?
    var status: Supplier.Status?
    var externalRef: String?

    /// Trims text fields and drops empty ones, so `""` and absent mean the same.
    mutating func normalize() {
        name = name.trimmed()
        email = email.trimmedOrNil
        phone = phone.trimmedOrNil
        externalRef = externalRef.trimmedOrNil
    }

    func validate() throws {
        var errors: [FieldError] = []
        errors += PartyFields.problems(name: name, email: email, phone: phone)
        errors += address?.problems(at: "address") ?? []
        if let days = paymentTermsDays, !(0...3650).contains(days) {
            errors.append(FieldError(field: "payment_terms_days", message: "must be between 0 and 3650"))
        }
        if let currency, let message = Currency.problem(currency) {
            errors.append(FieldError(field: "currency", message: message))
        }
        if let externalRef, externalRef.count > 200 {
            errors.append(FieldError(field: "external_ref", message: "must be at most 200 characters"))
        }
        if !errors.isEmpty { throw AppError.validation(errors) }
    }
}

/// A supplier already holding a unique value (`duplicate_supplier` lists them as `candidates`).
struct SupplierCandidate: Encodable {
    let id: UUID
    let number: String
    let name: String
    let email: String?
    /// `email` or `external_ref`.
    let matchedOn: String
}

/// An order to a supplier (API.md "Purchasing": `/purchase-orders`): a `draft` while being
/// written, `ordered` once sent, received in one or several receipts.
public struct PurchaseOrder: Decodable, JSONMembers, Sendable {
    public let id: UUID
    public let number: String
    public var supplierId: UUID
    /// Where the goods arrive.
    public var warehouseId: UUID
    public var status: Status
    /// Always the installation's default currency: unit costs feed the moving average cost.
    public var currency: String
    public var lines: [PurchaseOrderLine]
    /// Σ line totals, in minor units; `total` equals it (purchase orders carry no tax).
    public var subtotal: Int64
    public var total: Int64
    public var expectedDate: LocalDate?
    public var notes: String?
    public var externalRef: String?
    public var orderedAt: Date?
    public var receivedAt: Date?
    public var cancelledAt: Date?
    /// How much of the order supplier bills claim: `billed` once every line is billed in full.
    public var billStatus: BillStatus
    public let createdAt: Date
    public var updatedAt: Date
    public var version: Int

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("id", id)
        try object.member("number", number)
        try object.member("supplier_id", supplierId)
        try object.member("warehouse_id", warehouseId)
        try object.member("status", status)
        try object.member("currency", currency)
        try object.member("lines", lines)
        try object.member("subtotal", subtotal)
        try object.member("total", total)
        try object.member("expected_date", expectedDate)
        try object.member("notes", notes)
        try object.member("external_ref", externalRef)
        try object.member("ordered_at", orderedAt)
        try object.member("received_at", receivedAt)
        try object.member("cancelled_at", cancelledAt)
        try object.member("bill_status", billStatus)
        try object.member("created_at", createdAt)
        try object.member("updated_at", updatedAt)
        try object.member("version", version)
    }

    /// `draft` → `ordered` → `partially_received` → `received`; `draft` or `ordered` → `cancelled`.
    public enum Status: String, Codable, Sendable, CaseIterable {
        case draft, pendingApproval = "pending_approval", ordered, partiallyReceived = "partially_received", received
        case cancelled
    }

    /// `not_billed` while no bill claims a line, `billed` when bills claim every line's ordered
    /// quantity, `partially_billed` in between.
    public enum BillStatus: String, Codable, Sendable, CaseIterable {
        case notBilled = "not_billed", partiallyBilled = "partially_billed", billed
    }

    static let writableFields: Set<String> = [
        "supplier_id", "warehouse_id", "currency", "lines", "expected_date", "notes", "external_ref",
    ]
    static let readOnlyFields: Set<String> = [
        "id", "number", "status", "subtotal", "total", "ordered_at", "received_at", "cancelled_at", "bill_status",
        "created_at", "updated_at", "version",
    ]
}

/// One line of a purchase order: a stock item, how much, at what cost, and how much arrived.
public struct PurchaseOrderLine: Decodable, JSONMembers, Sendable {
    public let lineNo: Int
    public let itemId: UUID
    public let quantity: ExactDecimal
    /// Per unit, in minor units of the order's currency.
    @Cost public var unitCost: Int64
    /// quantity × unit cost, rounded half-even to a minor unit.
    @Cost public var lineTotal: Int64
    public var receivedQuantity: ExactDecimal
    /// What supplier bills (not void) claim of the line; never more than received.
    public var billedQuantity: ExactDecimal

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("line_no", lineNo)
        try object.member("item_id", itemId)
        try object.member("quantity", quantity)
        try object.member("unit_cost", _unitCost)
        try object.member("line_total", _lineTotal)
        try object.member("received_quantity", receivedQuantity)
        try object.member("billed_quantity", billedQuantity)
    }
}

/// An order's writable fields (create, and what a merge patch produces).
struct PurchaseOrderInput: Codable, OrderInput {
    var supplierId: UUID
    var warehouseId: UUID
    var currency: String?
    var lines: [PurchaseOrderLineInput]?
    var expectedDate: LocalDate?
    var notes: String?
    var externalRef: String?

    static func problems(of line: PurchaseOrderLineInput, at path: String) -> [FieldError] {
        DocumentRules.lineProblems(at: path, quantity: line.quantity, price: line.unitCost, priceField: "unit_cost")
    }
}

/// One line as a client writes it; `unit_cost` defaults to the item's moving average cost.
struct PurchaseOrderLineInput: Codable {
    /// Accepted so a client can send back the lines it read; lines are numbered by position.
    var lineNo: Int?
    var itemId: UUID
    var quantity: ExactDecimal
    var unitCost: Int64?

    enum CodingKeys: String, CodingKey { case lineNo, itemId, quantity, unitCost }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(itemId, forKey: .itemId)
        try container.encode(quantity, forKey: .quantity)
        try container.encodeIfPresent(unitCost, forKey: .unitCost)
    }
}

/// `POST /purchase-orders/{id}/receipts`.
struct ReceiptRequest: Decodable {
    var lines: [LineQuantity]
}

/// Goods that arrived for a purchase order, as recorded (one `receipt` stock movement per line).
public struct GoodsReceipt: Codable, Sendable {
    public let id: UUID
    public let number: String
    public let purchaseOrderId: UUID
    public let lines: [Line]
    public let createdBy: UUID?
    public let createdAt: Date

    /// What arrived on one order line, at the line's unit cost.
    public struct Line: Codable, Sendable {
        public let lineNo: Int
        public let itemId: UUID
        public let quantity: ExactDecimal
        @Cost public var unitCost: Int64
    }
}

/// `POST /purchase-orders/{id}/receipts`: the receipt and the order after it (also the data of
/// `purchase_order.received`).
struct ReceiptResult: Encodable {
    let receipt: GoodsReceipt
    let purchaseOrder: PurchaseOrder
}

struct ReceiptList: Encodable {
    let data: [GoodsReceipt]
}

// MARK: Suggestions

/// One item to reorder (`GET /purchasing/suggestions`). Its position is available + incoming +
/// drafted, summed over every warehouse; it is listed while that is at or below the reorder point.
struct Suggestion: Encodable {
    let itemId: UUID
    let sku: String
    let name: String
    let supplierId: UUID?
    let available: ExactDecimal
    let incoming: ExactDecimal
    /// On open draft purchase orders (not yet ordered, so not `incoming`).
    let drafted: ExactDecimal
    let reorderPoint: ExactDecimal
    let reorderQuantity: ExactDecimal?
    /// What to order: the reorder quantity, or more when that would not lift the position
    /// above the reorder point (then the smallest whole number of units that does).
    let quantity: ExactDecimal
    /// The item's moving average cost, in minor units of the default currency.
    @Cost var unitCost: Int64
    /// Set on `without_supplier` entries: `no_preferred_supplier` or `supplier_inactive`.
    let reason: String?
}

struct SuggestionList: Encodable {
    let currency: String
    let data: [Suggestion]
    let withoutSupplier: [Suggestion]
}

/// `POST /purchasing/suggestions/apply`.
struct ApplyRequest: Decodable {
    /// Where the draft orders' goods are to arrive; optional when there is one warehouse.
    var warehouseId: UUID?
}

/// The drafts `apply` made (one per supplier) and what it could not order.
struct ApplyResult: Encodable {
    let data: [PurchaseOrder]
    let withoutSupplier: [Suggestion]
}

extension ProblemCode {
    /// 409: another supplier has this email or external_ref; `candidates` lists the holders.
    public static let duplicateSupplier = ProblemCode("duplicate_supplier", .conflict)
    /// 409: documents or items refer to the supplier; set it inactive instead of deleting it.
    public static let supplierInUse = ProblemCode("supplier_in_use", .conflict)
    /// 409: another purchase order has this external_ref.
    public static let duplicatePurchaseOrder = ProblemCode("duplicate_purchase_order", .conflict)
    /// 409: a receipt asks for more than ordered minus received on a line; `lines` has the figures.
    public static let overReceipt = ProblemCode("over_receipt", .conflict)
}
