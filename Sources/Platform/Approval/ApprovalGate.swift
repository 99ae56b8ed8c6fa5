import Core
import FoundationEssentials
import Postgres

/// The documents whose binding action may wait for a second person (`/approval-rules`).
public enum ApprovalDocument: String, Codable, Sendable, CaseIterable {
    case purchaseOrder = "purchase_order", salesOrder = "sales_order", supplierBill = "supplier_bill"
}

/// A document about to bind the company (a purchase order being ordered, a sales order being
/// confirmed, a bill being posted), as the approval rules look at it.
public struct ApprovalSubject: Sendable {
    /// One line's figures; `itemID` lets `margin_below` find the item's average cost.
    public struct Line: Sendable {
        public let itemID: UUID?
        public let quantity: ExactDecimal
        public let discountPercent: ExactDecimal
        public let lineTotal: Int64

        public init(itemID: UUID?, quantity: ExactDecimal, discountPercent: ExactDecimal, lineTotal: Int64) {
            self.itemID = itemID
            self.quantity = quantity
            self.discountPercent = discountPercent
            self.lineTotal = lineTotal
        }
    }

    public let document: ApprovalDocument
    public let id: UUID
    public let number: String
    public let currency: String
    /// Before tax: what margins are counted on.
    public let subtotal: Int64
    public let total: Int64
    public let lines: [Line]
    /// The action goes past the customer's credit limit on the caller's override.
    public let creditOverride: Bool
    /// How the action was asked for (`override_credit_limit`, `accept_variance`): an approved
    /// request runs it the same way.
    public let options: JSONObject

    public init(
        document: ApprovalDocument, id: UUID, number: String, currency: String, subtotal: Int64, total: Int64,
        lines: [Line], creditOverride: Bool = false, options: JSONObject = JSONObject([])
    ) {
        self.document = document
        self.id = id
        self.number = number
        self.currency = currency
        self.subtotal = subtotal
        self.total = total
        self.lines = lines
        self.creditOverride = creditOverride
        self.options = options
    }
}

/// The approval a document now waits for: its id, number and representation (`/approvals/{id}`).
public struct ApprovalHold: Sendable {
    public let id: UUID
    public let number: String
    public let representation: JSONValue

    public init(id: UUID, number: String, representation: JSONValue) {
        self.id = id
        self.number = number
        self.representation = representation
    }
}

/// Where a document service asks, inside the transaction of its binding action, whether the
/// action needs an approval first. Approvals installs the check while App wires the modules
/// (Purchasing, Sales and Payables sit above Approvals and cannot import it); without one,
/// nothing waits.
public final class ApprovalGate: Sendable {
    /// Nil: the action goes ahead. Otherwise the approval was recorded in `tx` and the
    /// document must move to `pending_approval` in the same transaction.
    public typealias Check = @Sendable (ApprovalSubject, Principal, Transaction) throws -> ApprovalHold?

    private let check = Hook<Check>()

    public init() {}

    /// Installs the check. Call only while wiring.
    public func install(_ check: @escaping Check) {
        self.check.install(check)
    }

    /// The approval `subject` now waits for, or nil when no rule matches.
    public func consult(_ subject: ApprovalSubject, actor: Principal, in tx: Transaction) throws -> ApprovalHold? {
        guard let check = check.function else { return nil }
        return try check(subject, actor, tx)
    }
}

/// A binding action's outcome: the document, and the approval it waits for when a rule held
/// it back (then nothing was ordered, reserved or posted).
public struct Gated<Document: Sendable>: Sendable {
    public let document: Document
    public let approval: ApprovalHold?

    public init(_ document: Document, approval: ApprovalHold? = nil) {
        self.document = document
        self.approval = approval
    }
}
