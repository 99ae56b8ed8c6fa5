import Core
import FoundationEssentials
import Platform

/// A supplier's invoice to us (`/supplier-bills`): a `draft` while being entered, `posted` once
/// it is on the supplier's account (then it never changes), paid by supplier payments.
public struct SupplierBill: Decodable, JSONMembers, Sendable {
    public let id: UUID
    public let number: String
    public var supplierId: UUID
    /// The purchase order it bills (three-way match), or nil for a bill without one.
    public let purchaseOrderId: UUID?
    /// The supplier's own invoice number; unique per supplier among bills that are not void.
    public var supplierReference: String
    public var status: Status
    public var billDate: LocalDate
    public var dueDate: LocalDate
    /// Always the installation's currency.
    public let currency: String
    public var lines: [SupplierBillLine]
    public var subtotal: Int64
    public var taxTotal: Int64
    public var total: Int64
    public var amountPaid: Int64
    public var balanceDue: Int64
    /// Open and past its due date (today, UTC).
    public var overdue: Bool
    /// A line's unit cost differs from its purchase order line's by more than the tolerance:
    /// posting needs `accept_variance`.
    public var priceVariance: Bool
    /// Who accepted the price variance when posting.
    public var varianceAcceptedBy: UUID?
    public var notes: String?
    public var postedAt: Date?
    public var voidedAt: Date?
    public let createdAt: Date
    public var updatedAt: Date
    public var version: Int

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("id", id)
        try object.member("number", number)
        try object.member("supplier_id", supplierId)
        try object.member("purchase_order_id", purchaseOrderId)
        try object.member("supplier_reference", supplierReference)
        try object.member("status", status)
        try object.member("bill_date", billDate)
        try object.member("due_date", dueDate)
        try object.member("currency", currency)
        try object.member("lines", lines)
        try object.member("subtotal", subtotal)
        try object.member("tax_total", taxTotal)
        try object.member("total", total)
        try object.member("amount_paid", amountPaid)
        try object.member("balance_due", balanceDue)
        try object.member("overdue", overdue)
        try object.member("price_variance", priceVariance)
        try object.member("variance_accepted_by", varianceAcceptedBy)
        try object.member("notes", notes)
        try object.member("posted_at", postedAt)
        try object.member("voided_at", voidedAt)
        try object.member("created_at", createdAt)
        try object.member("updated_at", updatedAt)
        try object.member("version", version)
    }

    /// `draft` → `posted` → `partially_paid` → `paid`; `draft`, or `posted` without payments,
    /// → `void`.
    public enum Status: String, Codable, Sendable, CaseIterable {
        case draft, pendingApproval = "pending_approval", posted, partiallyPaid = "partially_paid", paid, void
        var isOpen: Bool { self == .posted || self == .partiallyPaid }
    }

    static let readOnlyFields: Set<String> = [
        "id", "number", "purchase_order_id", "status", "currency", "subtotal", "tax_total", "total", "amount_paid",
        "balance_due", "overdue", "price_variance", "variance_accepted_by", "posted_at", "voided_at", "created_at",
        "updated_at", "version",
    ]
}

public struct SupplierBillLine: Decodable, JSONMembers, Sendable {
    public let lineNo: Int
    public let itemId: UUID?
    public let description: String
    public let quantity: ExactDecimal
    public let unitCost: Int64
    public let taxRate: ExactDecimal
    public let lineTotal: Int64
    public let taxAmount: Int64
    /// The purchase order line this bills, and that line's unit cost when it was billed.
    public let purchaseOrderLineNo: Int?
    public let purchaseOrderUnitCost: Int64?

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("line_no", lineNo)
        try object.member("item_id", itemId)
        try object.member("description", description)
        try object.member("quantity", quantity)
        try object.member("unit_cost", unitCost)
        try object.member("tax_rate", taxRate)
        try object.member("line_total", lineTotal)
        try object.member("tax_amount", taxAmount)
        try object.member("purchase_order_line_no", purchaseOrderLineNo)
        try object.member("purchase_order_unit_cost", purchaseOrderUnitCost)
    }
}

/// A bill's writable fields (`POST /supplier-bills`, and what a merge patch produces).
struct SupplierBillInput: Codable, RecordInput {
    var supplierId: UUID
    var supplierReference: String
    var billDate: LocalDate?
    var dueDate: LocalDate?
    var currency: String?
    var lines: [SupplierBillLineInput]?
    var notes: String?

    static let writableFields: Set<String> = [
        "supplier_id", "supplier_reference", "bill_date", "due_date", "currency", "lines", "notes",
    ]

    mutating func normalize() {
        supplierReference = supplierReference.trimmed()
        notes = notes.trimmedOrNil
    }

    func validate() throws {
        let lines = self.lines ?? []
        try DocumentRules.check(
            SupplierBillInput.referenceProblems(supplierReference)
                + DocumentRules.headerProblems(currency: currency, notes: notes)
                + DocumentRules.countProblems(lines.count)
                + lines.enumerated().flatMap { index, line in line.problems(at: "lines[\(index)]") })
    }

    static func referenceProblems(_ reference: String) -> [FieldError] {
        let text = reference.trimmed()
        return text.isEmpty || text.count > 100
            ? [FieldError(field: "supplier_reference", message: "must be 1 to 100 characters")] : []
    }
}

/// A line of a bill without a purchase order, as a client writes it.
struct SupplierBillLineInput: Codable {
    /// Accepted so a client can send back the lines it read; lines are numbered by position.
    var lineNo: Int?
    var itemId: UUID?
    var description: String
    var quantity: ExactDecimal
    var unitCost: Int64
    var taxRate: ExactDecimal?

    func problems(at path: String) -> [FieldError] {
        let text = description.trimmed()
        let length =
            text.isEmpty || text.count > DocumentRules.maxDescriptionLength
            ? [FieldError(field: "\(path).description", message: "must be 1 to 1000 characters")] : []
        return length
            + DocumentRules.lineProblems(
                at: path, quantity: quantity, price: unitCost, priceField: "unit_cost", taxRate: taxRate)
    }

    enum CodingKeys: String, CodingKey { case lineNo, itemId, description, quantity, unitCost, taxRate }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(itemId, forKey: .itemId)
        try container.encode(description, forKey: .description)
        try container.encode(quantity, forKey: .quantity)
        try container.encode(unitCost, forKey: .unitCost)
        try container.encodeIfPresent(taxRate, forKey: .taxRate)
    }
}

/// `POST /purchase-orders/{id}/bill`: received quantities to bill, at the order line's unit cost
/// unless the supplier's invoice says another.
struct OrderBillRequest: Decodable {
    var supplierReference: String
    var billDate: LocalDate?
    var dueDate: LocalDate?
    var notes: String?
    var lines: [Line]

    struct Line: Decodable {
        var lineNo: Int
        var quantity: ExactDecimal
        var unitCost: Int64?
        var taxRate: ExactDecimal?
    }

    func validate() throws {
        var errors =
            SupplierBillInput.referenceProblems(supplierReference)
            + DocumentRules.headerProblems(currency: nil, notes: notes)
        if lines.isEmpty { errors.append(FieldError(field: "lines", message: "must list at least one line")) }
        errors += DocumentRules.countProblems(lines.count)
        var seen = Set<Int>()
        for (index, line) in lines.enumerated() {
            errors += DocumentRules.lineProblems(
                at: "lines[\(index)]", quantity: line.quantity, price: line.unitCost, priceField: "unit_cost",
                taxRate: line.taxRate)
            if !seen.insert(line.lineNo).inserted {
                errors.append(FieldError(field: "lines[\(index)].line_no", message: "appears twice"))
            }
        }
        try DocumentRules.check(errors)
    }
}

/// `POST /supplier-bills/{id}/post`.
struct PostRequest: Decodable {
    /// Posts a bill whose prices stray from its purchase order (roles `admin`, `finance`).
    var acceptVariance: Bool?
}

/// Money paid to a supplier, allocated to posted bills; the rest is an advance to the supplier.
public struct SupplierPayment: Decodable, JSONMembers, Sendable {
    public let id: UUID
    public let number: String
    public let supplierId: UUID
    public let amount: Int64
    public let currency: String
    public let paidOn: LocalDate
    public let method: Method
    public let reference: String?
    public var allocations: [Allocation]
    public var unappliedAmount: Int64
    public let createdAt: Date
    public var updatedAt: Date
    public var version: Int

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("id", id)
        try object.member("number", number)
        try object.member("supplier_id", supplierId)
        try object.member("amount", amount)
        try object.member("currency", currency)
        try object.member("paid_on", paidOn)
        try object.member("method", method)
        try object.member("reference", reference)
        try object.member("allocations", allocations)
        try object.member("unapplied_amount", unappliedAmount)
        try object.member("created_at", createdAt)
        try object.member("updated_at", updatedAt)
        try object.member("version", version)
    }

    public enum Method: String, Codable, Sendable, CaseIterable {
        case bankTransfer = "bank_transfer", card, cash, check, other
    }

    public struct Allocation: Decodable, JSONMembers, Sendable {
        public let billId: UUID
        public let amount: Int64

        public func writeMembers(to object: inout JSONMemberWriter) throws {
            try object.member("bill_id", billId)
            try object.member("amount", amount)
        }
    }

    static let readOnlyFields: Set<String> = [
        "id", "number", "unapplied_amount", "created_at", "updated_at", "version",
    ]
}

/// `POST /supplier-payments`.
struct SupplierPaymentInput: Decodable {
    var supplierId: UUID
    var amount: Int64
    var currency: String?
    var paidOn: LocalDate?
    var method: SupplierPayment.Method?
    var reference: String?
    /// Explicit allocations; without them the amount pays posted bills oldest due first.
    var allocations: [BillAllocationInput]?

    func validate() throws {
        var errors: [FieldError] = []
        if amount <= 0 { errors.append(FieldError(field: "amount", message: "must be more than 0")) }
        if let message = MoneyRules.problem(amount) { errors.append(FieldError(field: "amount", message: message)) }
        if let currency, let message = Currency.problem(currency) {
            errors.append(FieldError(field: "currency", message: message))
        }
        if let reference, reference.count > 200 {
            errors.append(FieldError(field: "reference", message: "must be at most 200 characters"))
        }
        errors += BillAllocationInput.problems(allocations ?? [])
        try DocumentRules.check(errors)
    }
}

struct BillAllocationInput: Decodable {
    var billId: UUID
    var amount: Int64

    static func problems(_ allocations: [BillAllocationInput]) -> [FieldError] {
        var errors: [FieldError] = []
        var seen = Set<UUID>()
        for (index, allocation) in allocations.enumerated() {
            if allocation.amount <= 0 {
                errors.append(FieldError(field: "allocations[\(index)].amount", message: "must be more than 0"))
            }
            if !seen.insert(allocation.billId).inserted {
                errors.append(FieldError(field: "allocations[\(index)].bill_id", message: "appears twice"))
            }
        }
        return errors
    }
}

/// `POST /supplier-payments/{id}/allocate`: spends an advance, explicitly or oldest due first.
struct AllocateRequest: Decodable {
    var allocations: [BillAllocationInput]?
}

/// `GET /suppliers/{id}/statement`: bills (+) and payments (−) with a running balance; a
/// positive balance is what we owe the supplier.
struct SupplierStatement: Encodable {
    let supplierId: UUID
    let currency: String
    let from: LocalDate?
    let to: LocalDate?
    let openingBalance: Int64
    let entries: [Entry]
    let closingBalance: Int64

    struct Entry: Encodable {
        let date: LocalDate
        let type: String
        let id: UUID
        let number: String
        let supplierReference: String?
        let amount: Int64
        let balance: Int64
    }
}

/// `GET /reports/cash-requirements`: open bills due by a date, oldest due first.
struct CashRequirements: Encodable {
    let until: LocalDate
    let currency: String
    let bills: [Due]
    let total: Int64
    /// The part of `total` already past due today.
    let overdue: Int64

    struct Due: Encodable {
        let billId: UUID
        let number: String
        let supplierId: UUID
        let supplierReference: String
        let dueDate: LocalDate
        let balanceDue: Int64
        let overdue: Bool
    }
}

extension ProblemCode {
    /// 409: the supplier already has a bill (not void) with this `supplier_reference`; `bill`
    /// names it.
    public static let duplicateBill = ProblemCode("duplicate_bill", .conflict)
    /// 409: a bill asks for more than received minus billed on a line; `lines` has the figures.
    public static let overBilling = ProblemCode("over_billing", .conflict)
    /// 409: the bill's prices stray from its purchase order beyond the tolerance; post it with
    /// `accept_variance`. `lines` has the figures.
    public static let priceVariance = ProblemCode("price_variance", .conflict)
}
