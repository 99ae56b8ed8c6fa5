import Core
import FoundationEssentials
import Platform
import Postgres

/// A sales order: a quotation while `draft`, then a confirmed order that holds stock, ships
/// and is invoiced (API.md "Sales orders").
public struct SalesOrder: Decodable, JSONMembers, Sendable {
    public let id: UUID
    public let number: String
    public var customerId: UUID
    public var warehouseId: UUID?
    public var status: Status
    public var validUntil: LocalDate?
    public var invoiceStatus: InvoiceStatus
    public var currency: String
    public var lines: [SalesOrderLine]
    public var subtotal: Int64
    public var taxTotal: Int64
    public var total: Int64
    public var opportunityId: UUID?
    public var requestedDate: LocalDate?
    public var notes: String?
    public var externalRef: String?
    public var confirmedAt: Date?
    public let createdAt: Date
    public var updatedAt: Date
    public var version: Int

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("id", id)
        try object.member("number", number)
        try object.member("customer_id", customerId)
        try object.member("warehouse_id", warehouseId)
        try object.member("status", status)
        try object.member("valid_until", validUntil)
        try object.member("invoice_status", invoiceStatus)
        try object.member("currency", currency)
        try object.member("lines", lines)
        try object.member("subtotal", subtotal)
        try object.member("tax_total", taxTotal)
        try object.member("total", total)
        try object.member("opportunity_id", opportunityId)
        try object.member("requested_date", requestedDate)
        try object.member("notes", notes)
        try object.member("external_ref", externalRef)
        try object.member("confirmed_at", confirmedAt)
        try object.member("created_at", createdAt)
        try object.member("updated_at", updatedAt)
        try object.member("version", version)
    }

    public enum Status: String, Codable, Sendable, CaseIterable {
        case draft, pendingApproval = "pending_approval", confirmed, partiallyShipped = "partially_shipped", shipped
        case cancelled, closed
    }

    public enum InvoiceStatus: String, Codable, Sendable, CaseIterable {
        case notInvoiced = "not_invoiced", partiallyInvoiced = "partially_invoiced", invoiced
    }

    static let writableFields: Set<String> = [
        "customer_id", "warehouse_id", "valid_until", "currency", "lines", "requested_date", "notes", "external_ref",
    ]
    static let readOnlyFields: Set<String> = [
        "id", "number", "status", "invoice_status", "subtotal", "tax_total", "total", "opportunity_id", "confirmed_at",
        "created_at", "updated_at", "version",
    ]
}

public struct SalesOrderLine: Decodable, JSONMembers, Sendable {
    public let lineNo: Int
    public let itemId: UUID?
    public let description: String?
    public let quantity: ExactDecimal
    public let unitPrice: Int64
    /// Where the price came from: `explicit`, `tier_price`, `tier_discount`, `list_price`.
    public let priceSource: String
    public let discountPercent: ExactDecimal
    public let taxRate: ExactDecimal
    public let lineTotal: Int64
    public let taxAmount: Int64
    public var shippedQuantity: ExactDecimal
    public var invoicedQuantity: ExactDecimal
    /// What customers sent back of what shipped (returns), never more than `shipped_quantity`.
    public var returnedQuantity: ExactDecimal = .zero
    /// The part of `returnedQuantity` that was returned before it was billed: no longer to
    /// be invoiced. Not shown in the API.
    public var returnedUninvoicedQuantity: ExactDecimal = .zero
    /// What the shipped goods cost: Σ of the line's shipment costs (minor units of the
    /// default currency); nil until something ships, and null without `costs.read`.
    @Cost public var cost: Int64? = nil
    /// What the shipped goods earned less `cost`: Σ shipped quantity × net unit price − cost;
    /// nil until something ships, and null without `costs.read`.
    @Cost public var margin: Int64? = nil

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("line_no", lineNo)
        try object.member("item_id", itemId)
        try object.member("description", description)
        try object.member("quantity", quantity)
        try object.member("unit_price", unitPrice)
        try object.member("price_source", priceSource)
        try object.member("discount_percent", discountPercent)
        try object.member("tax_rate", taxRate)
        try object.member("line_total", lineTotal)
        try object.member("tax_amount", taxAmount)
        try object.member("shipped_quantity", shippedQuantity)
        try object.member("invoiced_quantity", invoicedQuantity)
        try object.member("returned_quantity", returnedQuantity)
        try object.member("cost", _cost)
        try object.member("margin", _margin)
    }

    enum CodingKeys: String, CodingKey {
        case lineNo, itemId, description, quantity, unitPrice, priceSource, discountPercent, taxRate, lineTotal
        case taxAmount, shippedQuantity, invoicedQuantity, returnedQuantity, cost, margin
    }

    /// What is still to bill of `billable` (the ordered or shipped quantity): less what was
    /// invoiced and what came back before it was invoiced.
    public func leftToInvoice(of billable: ExactDecimal) throws -> ExactDecimal {
        try billable - invoicedQuantity - returnedUninvoicedQuantity
    }
}

/// An order's writable fields (create, and what a merge patch produces).
struct SalesOrderInput: Codable, OrderInput {
    var customerId: UUID
    var warehouseId: UUID?
    var validUntil: LocalDate?
    var currency: String?
    var lines: [SalesOrderLineInput]?
    var requestedDate: LocalDate?
    var notes: String?
    var externalRef: String?

    static func problems(of line: SalesOrderLineInput, at path: String) -> [FieldError] { line.problems(at: path) }
}

/// One line as a client writes it; prices come from the catalog when `unit_price` is absent.
struct SalesOrderLineInput: Codable {
    /// Accepted so a client can send back the lines it read; lines are numbered by position.
    var lineNo: Int?
    var itemId: UUID?
    var description: String?
    var quantity: ExactDecimal
    var unitPrice: Int64?
    var discountPercent: ExactDecimal?
    var taxRate: ExactDecimal?

    func problems(at path: String) -> [FieldError] {
        var errors = DocumentRules.lineProblems(
            at: path, quantity: quantity, price: unitPrice, discountPercent: discountPercent,
            taxRate: taxRate, description: description)
        if itemId == nil && (unitPrice == nil || (description ?? "").trimmedOfSpaces().isEmpty) {
            errors.append(
                FieldError(
                    field: "\(path).item_id", message: "is required unless the line has a description and a unit_price")
            )
        }
        return errors
    }

    enum CodingKeys: String, CodingKey {
        case lineNo, itemId, description, quantity, unitPrice, discountPercent, taxRate
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(itemId, forKey: .itemId)
        try container.encodeIfPresent(description, forKey: .description)
        try container.encode(quantity, forKey: .quantity)
        try container.encodeIfPresent(unitPrice, forKey: .unitPrice)
        try container.encodeIfPresent(discountPercent, forKey: .discountPercent)
        try container.encodeIfPresent(taxRate, forKey: .taxRate)
    }
}

/// `POST /sales-orders/{id}/confirm`.
struct ConfirmRequest: Decodable {
    var overrideCreditLimit: Bool?
}

/// `POST /sales-orders/{id}/shipments`.
struct ShipmentRequest: Decodable {
    var lines: [LineQuantity]
}

/// Goods that left the warehouse for an order.
public struct Shipment: Codable, Sendable {
    public let id: UUID
    public let number: String
    public let salesOrderId: UUID
    public let lines: [Line]
    public let createdBy: UUID?
    public let createdAt: Date

    public struct Line: Codable, Sendable {
        public let lineNo: Int
        public let quantity: ExactDecimal
        /// The item's moving average when the goods left (a service item's `standard_cost`,
        /// else 0), minor units of the default currency; never changes afterwards. Null
        /// without `costs.read`.
        @Cost public var unitCost: Int64
        /// `quantity × unit_cost`, rounded half-even. Null without `costs.read`.
        @Cost public var cost: Int64
    }
}

/// The figures of a refused credit check (API.md: `credit` member of `credit_limit_exceeded`).
struct CreditFigures: Encodable {
    let limit: Int64
    let openReceivables: Int64
    let openOrders: Int64
    let orderTotal: Int64
    let available: Int64
}

/// What an order hands to Receivables to bill: the lines and quantities not yet invoiced.
public struct OrderInvoiceDraft: Sendable {
    public let salesOrderID: UUID
    public let salesOrderNumber: String
    public let customerID: UUID
    public let currency: String
    public let lines: [Line]

    public struct Line: Sendable {
        public let lineNo: Int
        public let itemID: UUID?
        public let description: String
        public let quantity: ExactDecimal
        public let unitPrice: Int64
        public let discountPercent: ExactDecimal
        public let taxRate: ExactDecimal
    }
}

/// `POST /sales-orders/{id}/invoice` hands over to Receivables through this function, wired
/// by App; Sales never writes invoice tables (and Receivables never writes order tables).
/// Returns the new invoice's id and the invoice as the API shows it.
public typealias OrderInvoicer =
    @Sendable (_ draft: OrderInvoiceDraft, _ actor: Principal, _ tx: Postgres.Transaction) throws -> (
        id: UUID, invoice: JSONValue
    )

/// What an invoice from an order bills: what shipped and is not yet invoiced, or what was ordered.
public enum InvoiceBasis: String, Decodable, Sendable, CaseIterable { case shipped, ordered }

/// `POST /sales-orders/{id}/invoice`.
struct InvoiceRequest: Decodable {
    var basis: InvoiceBasis?
}

/// A customer's credit limit and what counts against it (`CreditPosition.used`).
public struct CreditUsage: Sendable, Equatable {
    public let customerID: UUID
    public let number: String
    public let currency: String
    public let limit: Int64
    public let used: Int64
}
