import Core
import FoundationEssentials

/// The conditions Concord watches, each with one rule (`/alert-rules/{kind}`). Later modules
/// add theirs here with a candidate query in the store and a row in `alert_rules` (a
/// migration): `case_sla_breached` (service cases).
public enum AlertKind: String, Codable, Sendable, CaseIterable {
    case stockBelowReorder = "stock_below_reorder"
    case purchaseOrderLate = "purchase_order_late"
    case salesOrderLate = "sales_order_late"
    case invoiceOverdue = "invoice_overdue"
    case creditNearLimit = "credit_near_limit"
    case quotationExpiring = "quotation_expiring"
    case activityOverdue = "activity_overdue"
    case webhookFailing = "webhook_failing"
    case supplierBillDue = "supplier_bill_due"
    case approvalWaiting = "approval_waiting"
    case caseSLABreached = "case_sla_breached"

    /// What the threshold counts, or nil for kinds without one.
    public var thresholdUnit: String? {
        switch self {
        case .stockBelowReorder, .webhookFailing, .approvalWaiting, .caseSLABreached: nil
        case .creditNearLimit: "percent"
        case .purchaseOrderLate, .salesOrderLate, .invoiceOverdue, .quotationExpiring, .activityOverdue,
            .supplierBillDue:
            "days"
        }
    }

    /// The values a threshold may take.
    var thresholdRange: ClosedRange<Int>? {
        switch self {
        case .stockBelowReorder, .webhookFailing, .approvalWaiting, .caseSLABreached: nil
        case .creditNearLimit: 1...100
        default: 0...365
        }
    }

    /// The rule, written out (also in openapi.yaml).
    public var rule: String {
        switch self {
        case .stockBelowReorder:
            "A stock item's available (on hand − reserved) plus incoming in a warehouse is at or below the item's reorder point."
        case .purchaseOrderLate:
            "An ordered or partially received purchase order is more than `threshold` days past its expected date."
        case .salesOrderLate:
            "A confirmed or partially shipped sales order is more than `threshold` days past its requested date."
        case .invoiceOverdue:
            "An issued or partially paid invoice is more than `threshold` days past its due date."
        case .creditNearLimit:
            "A customer with a credit limit uses at least `threshold` percent of it (open receivables plus confirmed orders not yet invoiced)."
        case .quotationExpiring:
            "A draft sales order's valid_until is today or within the next `threshold` days."
        case .activityOverdue: "An activity not completed is more than `threshold` days past its due time."
        case .webhookFailing: "A webhook subscription is failing (its deliveries kept failing)."
        case .supplierBillDue:
            "A posted or partially paid supplier bill is due within `threshold` days (today included) or past its due date."
        case .approvalWaiting:
            "A pending approval has waited longer than the `alert_after_hours` of its approval rules (the shortest of those that set one)."
        case .caseSLABreached:
            "A service case not resolved or closed is past its first-response or resolution deadline."
        }
    }

    /// Which record the evaluation of one subject is scoped by: the stock kind by item (one
    /// alert per warehouse), credit by customer, the others by the subject itself.
    var scopeColumn: String {
        switch self {
        case .stockBelowReorder: "item_id"
        case .creditNearLimit: "customer_id"
        default: "subject_id"
        }
    }
}

/// A condition that needs a person, about one record (`subject`), open until the condition
/// clears. `acknowledged` says someone is on it; it still resolves only by itself.
public struct Alert: Decodable, JSONMembers, Sendable {
    public let id: UUID
    public let kind: AlertKind
    public let status: Status
    public let severity: Severity
    public let subject: Subject
    /// The warehouse of a stock alert.
    public let warehouseId: UUID?
    public let customerId: UUID?
    public let itemId: UUID?
    public let supplierId: UUID?
    /// The figures that tripped it, as of its last evaluation.
    public let details: JSONValue
    public let message: String
    public let openedAt: Date
    public let acknowledgedAt: Date?
    public let acknowledgedBy: UUID?
    public let acknowledgementNote: String?
    public let resolvedAt: Date?
    public let updatedAt: Date
    public let version: Int

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("id", id)
        try object.member("kind", kind)
        try object.member("status", status)
        try object.member("severity", severity)
        try object.member("subject", subject)
        try object.member("warehouse_id", warehouseId)
        try object.member("customer_id", customerId)
        try object.member("item_id", itemId)
        try object.member("supplier_id", supplierId)
        try object.member("details", details)
        try object.member("message", message)
        try object.member("opened_at", openedAt)
        try object.member("acknowledged_at", acknowledgedAt)
        try object.member("acknowledged_by", acknowledgedBy)
        try object.member("acknowledgement_note", acknowledgementNote)
        try object.member("resolved_at", resolvedAt)
        try object.member("updated_at", updatedAt)
        try object.member("version", version)
    }

    public enum Status: String, Codable, Sendable, CaseIterable { case open, acknowledged, resolved }
    public enum Severity: String, Codable, Sendable, CaseIterable { case info, warning, critical }

    /// The record an alert is about: `type` (`item`, `purchase_order`, …), `id` and its human
    /// number when it has one.
    public struct Subject: Decodable, JSONMembers, Sendable, Equatable {
        public let type: String
        public let id: UUID
        public let number: String?

        public func writeMembers(to object: inout JSONMemberWriter) throws {
            try object.member("type", type)
            try object.member("id", id)
            try object.member("number", number)
        }
    }
}

/// A kind's rule as the admin tunes it.
public struct AlertRule: Codable, Sendable {
    public let kind: AlertKind
    public let enabled: Bool
    public let threshold: Int?
    public let thresholdUnit: String?
    public let rule: String
    public let updatedAt: Date
    public let version: Int
}

/// `PUT /alert-rules/{kind}`: `enabled`, and the threshold (kept when absent or null; refused
/// for kinds without one).
struct AlertRuleInput: Decodable {
    let enabled: Bool
    let threshold: Int?

    func validate(for kind: AlertKind) throws {
        guard let threshold else { return }
        guard let range = kind.thresholdRange else {
            throw AppError.validation([FieldError(field: "threshold", message: "\(kind.rawValue) has no threshold")])
        }
        guard range.contains(threshold) else {
            throw AppError.validation([
                FieldError(
                    field: "threshold",
                    message: "must be from \(range.lowerBound) to \(range.upperBound) (\(kind.thresholdUnit ?? ""))")
            ])
        }
    }
}

/// `POST /alerts/{id}/acknowledge`.
struct AcknowledgeInput: Decodable {
    let note: String?

    func validate() throws {
        if let note, note.count > 2_000 {
            throw AppError.validation([FieldError(field: "note", message: "must be at most 2000 characters")])
        }
    }
}

/// `GET /alerts` filters.
struct AlertFilter {
    var kind: AlertKind?
    var status: Alert.Status?
    var customerID: UUID?
    var itemID: UUID?
    var supplierID: UUID?
}

/// One subject that meets a kind's condition now, as the evaluation found it.
struct AlertCandidate: Encodable {
    let subjectType: String
    let subjectId: UUID
    let subjectNumber: String?
    let subjectKey: String
    let warehouseId: UUID?
    let customerId: UUID?
    let itemId: UUID?
    let supplierId: UUID?
    let severity: String
    let details: JSONValue
    let message: String
}

/// What one evaluation (a tick, or `POST /alerts/evaluate`) did.
public struct EvaluationResult: Codable, Sendable {
    /// False when another instance was running a tick (this one skipped it).
    public let ran: Bool
    public let opened: Int
    public let resolved: Int
    /// Open and acknowledged alerts after it.
    public let live: Int
    public let evaluatedAt: Date
}
