import Core
import FoundationEssentials
import Platform

/// A bill to a customer: a `draft` until issued (then its number, dates, lines and totals are
/// fixed), paid by payment allocations and reduced by credit notes (API.md "Receivables").
public struct Invoice: Decodable, JSONMembers, Sendable {
    public let id: UUID
    /// Given at issue; nil on drafts.
    public var number: String?
    public var customerId: UUID
    public var salesOrderId: UUID?
    public var status: Status
    public var issueDate: LocalDate?
    public var dueDate: LocalDate?
    public var currency: String
    public var lines: [InvoiceLine]
    public var subtotal: Int64
    public var taxTotal: Int64
    public var total: Int64
    public var amountPaid: Int64
    public var amountCredited: Int64
    public var balanceDue: Int64
    /// Open and past its due date (today, UTC).
    public var overdue: Bool
    public var notes: String?
    public let createdAt: Date
    public var updatedAt: Date
    public var version: Int

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("id", id)
        try object.member("number", number)
        try object.member("customer_id", customerId)
        try object.member("sales_order_id", salesOrderId)
        try object.member("status", status)
        try object.member("issue_date", issueDate)
        try object.member("due_date", dueDate)
        try object.member("currency", currency)
        try object.member("lines", lines)
        try object.member("subtotal", subtotal)
        try object.member("tax_total", taxTotal)
        try object.member("total", total)
        try object.member("amount_paid", amountPaid)
        try object.member("amount_credited", amountCredited)
        try object.member("balance_due", balanceDue)
        try object.member("overdue", overdue)
        try object.member("notes", notes)
        try object.member("created_at", createdAt)
        try object.member("updated_at", updatedAt)
        try object.member("version", version)
    }

    public enum Status: String, Codable, Sendable, CaseIterable {
        case draft, issued, partiallyPaid = "partially_paid", paid, void
        var isOpen: Bool { self == .issued || self == .partiallyPaid }
    }

    static let writableFields: Set<String> = ["customer_id", "currency", "lines", "notes"]
    static let readOnlyFields: Set<String> = [
        "id", "number", "sales_order_id", "status", "issue_date", "due_date", "subtotal", "tax_total", "total",
        "amount_paid",
        "amount_credited", "balance_due", "overdue", "created_at", "updated_at", "version",
    ]
}

public struct InvoiceLine: Decodable, JSONMembers, Sendable {
    public let lineNo: Int
    public let itemId: UUID?
    public let description: String
    public let quantity: ExactDecimal
    public let unitPrice: Int64
    public let discountPercent: ExactDecimal
    public let taxRate: ExactDecimal
    public let lineTotal: Int64
    public let taxAmount: Int64
    /// The order line this bills, for invoices made from sales orders.
    public let salesOrderLineNo: Int?
    /// What the billed goods cost: the quantity at the order line's shipped cost per unit
    /// (Σ shipment cost ÷ Σ shipped quantity), rounded half-even; nil for lines not from an
    /// order or billed before anything shipped. Null without `costs.read`.
    @Cost public var cost: Int64? = nil
    /// `line_total − cost`; nil with `cost`, and null without `costs.read`.
    @Cost public var margin: Int64? = nil

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("line_no", lineNo)
        try object.member("item_id", itemId)
        try object.member("description", description)
        try object.member("quantity", quantity)
        try object.member("unit_price", unitPrice)
        try object.member("discount_percent", discountPercent)
        try object.member("tax_rate", taxRate)
        try object.member("line_total", lineTotal)
        try object.member("tax_amount", taxAmount)
        try object.member("sales_order_line_no", salesOrderLineNo)
        try object.member("cost", _cost)
        try object.member("margin", _margin)
    }
}

/// A manual invoice's writable fields (`POST /invoices`, and what a merge patch produces).
struct InvoiceInput: Codable {
    var customerId: UUID
    var currency: String?
    var lines: [InvoiceLineInput]?
    var notes: String?

    func validate() throws {
        let lines = self.lines ?? []
        try DocumentRules.check(
            DocumentRules.headerProblems(currency: currency, notes: notes)
                + DocumentRules.countProblems(lines.count)
                + lines.enumerated().flatMap { index, line in line.problems(at: "lines[\(index)]") })
    }
}

struct InvoiceLineInput: Codable {
    /// Accepted so a client can send back the lines it read; lines are numbered by position.
    var lineNo: Int?
    var itemId: UUID?
    var description: String
    var quantity: ExactDecimal
    var unitPrice: Int64
    var discountPercent: ExactDecimal?
    var taxRate: ExactDecimal?

    func problems(at path: String) -> [FieldError] {
        let text = description.trimmed()
        let length =
            text.isEmpty || text.count > DocumentRules.maxDescriptionLength
            ? [FieldError(field: "\(path).description", message: "must be 1 to 1000 characters")] : []
        return length
            + DocumentRules.lineProblems(
                at: path, quantity: quantity, price: unitPrice, discountPercent: discountPercent,
                taxRate: taxRate)
    }

    enum CodingKeys: String, CodingKey {
        case lineNo, itemId, description, quantity, unitPrice, discountPercent, taxRate
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(itemId, forKey: .itemId)
        try container.encode(description, forKey: .description)
        try container.encode(quantity, forKey: .quantity)
        try container.encode(unitPrice, forKey: .unitPrice)
        try container.encodeIfPresent(discountPercent, forKey: .discountPercent)
        try container.encodeIfPresent(taxRate, forKey: .taxRate)
    }
}

/// `POST /invoices/{id}/issue`: the issue date defaults to today (UTC).
struct IssueRequest: Decodable {
    var issueDate: LocalDate?
}

/// Money received from a customer, allocated to invoices; the rest is credit on the customer.
public struct Payment: Decodable, JSONMembers, Sendable {
    public let id: UUID
    public let number: String
    public let customerId: UUID
    public let amount: Int64
    public let currency: String
    public let receivedOn: LocalDate
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
        try object.member("customer_id", customerId)
        try object.member("amount", amount)
        try object.member("currency", currency)
        try object.member("received_on", receivedOn)
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
        public let invoiceId: UUID
        public let amount: Int64

        public func writeMembers(to object: inout JSONMemberWriter) throws {
            try object.member("invoice_id", invoiceId)
            try object.member("amount", amount)
        }
    }

    static let readOnlyFields: Set<String> = [
        "id", "number", "unapplied_amount", "created_at", "updated_at", "version",
    ]
}

/// `POST /payments`.
struct PaymentInput: Decodable {
    var customerId: UUID
    var amount: Int64
    var currency: String?
    var receivedOn: LocalDate?
    var method: Payment.Method?
    var reference: String?
    /// Explicit allocations; without them the amount pays open invoices oldest first.
    var allocations: [AllocationInput]?

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
        errors += AllocationInput.problems(allocations ?? [])
        if !errors.isEmpty { throw AppError.validation(errors) }
    }
}

struct AllocationInput: Decodable {
    var invoiceId: UUID
    var amount: Int64

    static func problems(_ allocations: [AllocationInput]) -> [FieldError] {
        var errors: [FieldError] = []
        var seen = Set<UUID>()
        for (index, allocation) in allocations.enumerated() {
            if allocation.amount <= 0 {
                errors.append(FieldError(field: "allocations[\(index)].amount", message: "must be more than 0"))
            }
            if !seen.insert(allocation.invoiceId).inserted {
                errors.append(FieldError(field: "allocations[\(index)].invoice_id", message: "appears twice"))
            }
        }
        return errors
    }
}

/// `POST /payments/{id}/allocate`: spends unapplied credit, explicitly or oldest first.
struct AllocateRequest: Decodable {
    var allocations: [AllocationInput]?
}

/// A reduction of an issued invoice's balance.
public struct CreditNote: Decodable, JSONMembers, Sendable {
    public let id: UUID
    public let number: String
    public let invoiceId: UUID
    public let customerId: UUID
    public let amount: Int64
    /// The part of `amount` its invoice's balance could not take (goods returned after the
    /// invoice was paid): credit on the customer, like an unapplied payment.
    public let unappliedAmount: Int64
    public let currency: String
    public let issueDate: LocalDate
    public let reason: String
    public let lines: [CreditNoteLine]?
    public let createdAt: Date

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("id", id)
        try object.member("number", number)
        try object.member("invoice_id", invoiceId)
        try object.member("customer_id", customerId)
        try object.member("amount", amount)
        try object.member("unapplied_amount", unappliedAmount)
        try object.member("currency", currency)
        try object.member("issue_date", issueDate)
        try object.member("reason", reason)
        try object.member("lines", lines)
        try object.member("created_at", createdAt)
    }

    static let readOnlyFields: Set<String> = [
        "id", "number", "customer_id", "unapplied_amount", "currency", "created_at",
    ]
}

public struct CreditNoteLine: Decodable, JSONMembers, Sendable {
    public let description: String
    public let quantity: ExactDecimal
    public let unitPrice: Int64
    public let taxRate: ExactDecimal?
    public let amount: Int64?

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("description", description)
        try object.member("quantity", quantity)
        try object.member("unit_price", unitPrice)
        try object.member("tax_rate", taxRate)
        try object.member("amount", amount)
    }
}

/// `POST /credit-notes`: an `amount`, or `lines` whose totals (with tax) make the amount.
struct CreditNoteInput: Decodable {
    var invoiceId: UUID
    var amount: Int64?
    var lines: [LineInput]?
    var reason: String
    var issueDate: LocalDate?

    struct LineInput: Decodable {
        var description: String
        var quantity: ExactDecimal
        var unitPrice: Int64
        var taxRate: ExactDecimal?
    }
}

/// `GET /customers/{id}/statement`.
struct Statement: Encodable {
    let customerId: UUID
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
        let amount: Int64
        let balance: Int64
    }
}

/// Open balances by days past due (API.md bucket names).
public typealias Aging = AgingBuckets

/// A customer's receivables for the 360° summary, in one currency.
public struct ReceivablesPosition: Sendable {
    public let openBalance: Int64
    public let overdueBalance: Int64
    public let unappliedCredit: Int64
    public let aging: Aging
    /// Open invoices and payments in other currencies, left out of the figures.
    public let otherCurrencyDocuments: Int64
}
