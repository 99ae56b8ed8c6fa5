import Core
import FoundationEssentials
import Platform

/// A customer's complaint, question, repair or return request, worked to an SLA (issue #21).
public struct ServiceCase: Decodable, JSONMembers, Sendable {
    public let id: UUID
    public let number: String
    public var customerId: UUID
    public var contactId: UUID?
    public var salesOrderId: UUID?
    public var itemId: UUID?
    public var type: Kind
    public var priority: Priority
    public var status: Status
    public var subject: String
    public var description: String?
    public var ownerId: UUID?
    public var teamId: UUID?
    public var reportedAt: Date
    /// From the priority's SLA policy (null without one); the resolution deadline moves later
    /// by the time spent waiting on the customer.
    public var firstResponseDueAt: Date?
    public var resolutionDueAt: Date?
    /// The first activity logged on the case, or its first move out of `new`.
    public var firstResponseAt: Date?
    public var resolvedAt: Date?
    public var closedAt: Date?
    /// A deadline passed before its event: the first response after (or, without one, now
    /// after) `first_response_due_at`, or the resolution (or now, or the start of the current
    /// wait on the customer) after `resolution_due_at`.
    public var slaBreached: Bool
    public var rating: Int?
    public var ratingComment: String?
    public var ratedAt: Date?
    public let createdAt: Date
    public var updatedAt: Date
    public var version: Int

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("id", id)
        try object.member("number", number)
        try object.member("customer_id", customerId)
        try object.member("contact_id", contactId)
        try object.member("sales_order_id", salesOrderId)
        try object.member("item_id", itemId)
        try object.member("type", type)
        try object.member("priority", priority)
        try object.member("status", status)
        try object.member("subject", subject)
        try object.member("description", description)
        try object.member("owner_id", ownerId)
        try object.member("team_id", teamId)
        try object.member("reported_at", reportedAt)
        try object.member("first_response_due_at", firstResponseDueAt)
        try object.member("resolution_due_at", resolutionDueAt)
        try object.member("first_response_at", firstResponseAt)
        try object.member("resolved_at", resolvedAt)
        try object.member("closed_at", closedAt)
        try object.member("sla_breached", slaBreached)
        try object.member("rating", rating)
        try object.member("rating_comment", ratingComment)
        try object.member("rated_at", ratedAt)
        try object.member("created_at", createdAt)
        try object.member("updated_at", updatedAt)
        try object.member("version", version)
    }

    public enum Kind: String, Codable, Sendable, CaseIterable {
        case complaint, question, repair, returnRequest = "return_request"
    }

    public enum Priority: String, Codable, Sendable, CaseIterable { case low, normal, high, urgent }

    public enum Status: String, Codable, Sendable, CaseIterable {
        case new, inProgress = "in_progress", waitingCustomer = "waiting_customer", resolved, closed

        /// `new` → `in_progress` ↔ `waiting_customer` → `resolved` → `closed`; `resolved` may
        /// reopen to `in_progress`, and work in progress may be resolved directly.
        func allows(_ next: Status) -> Bool {
            switch (self, next) {
            case (.new, .inProgress), (.inProgress, .waitingCustomer), (.waitingCustomer, .inProgress),
                (.inProgress, .resolved), (.waitingCustomer, .resolved), (.resolved, .closed), (.resolved, .inProgress):
                return true
            default: return false
            }
        }

        var isOpen: Bool { self != .resolved && self != .closed }
    }

    static let writableFields: Set<String> = [
        "contact_id", "sales_order_id", "item_id", "type", "priority", "subject", "description", "owner_id", "team_id",
        "status",
    ]
    static let readOnlyFields: Set<String> = [
        "id", "number", "first_response_due_at", "resolution_due_at", "first_response_at", "resolved_at", "closed_at",
        "sla_breached", "rating", "rating_comment", "rated_at", "created_at", "updated_at", "version",
    ]
    /// Fixed once the case exists: its customer, and when it was reported (the SLA clock).
    static let fixedFields: Set<String> = readOnlyFields.union(["customer_id", "reported_at"])
}

/// A case's writable fields: all of them on create, the writable ones in a patch.
struct CaseInput: Codable, RecordInput {
    var customerId: UUID?
    var contactId: UUID?
    var salesOrderId: UUID?
    var itemId: UUID?
    var type: ServiceCase.Kind
    var priority: ServiceCase.Priority?
    var subject: String
    var description: String?
    var ownerId: UUID?
    var teamId: UUID?
    var reportedAt: Date?
    /// Only in a patch: the next status.
    var status: ServiceCase.Status?

    mutating func normalize() {
        subject = subject.trimmed()
        description = description.trimmedOrNil
    }

    func validate() throws {
        var errors: [FieldError] = []
        if subject.isEmpty || subject.count > 200 {
            errors.append(FieldError(field: "subject", message: "must be 1 to 200 characters"))
        }
        if let description, description.count > 10_000 {
            errors.append(FieldError(field: "description", message: "must be at most 10000 characters"))
        }
        // A minute of clock skew is allowed; a report from the future is a typo.
        if let reportedAt, reportedAt.timeIntervalSinceNow > 60 {
            errors.append(FieldError(field: "reported_at", message: "must not be in the future"))
        }
        if !errors.isEmpty { throw AppError.validation(errors) }
    }
}

/// `PUT /sla-policies/{priority}`: how long a case of that priority may wait for its first
/// response and for its resolution.
public struct SLAPolicy: Codable, Sendable {
    public let priority: ServiceCase.Priority
    public let firstResponseMinutes: Int
    public let resolutionMinutes: Int
    public let createdAt: Date
    public let updatedAt: Date
    public let version: Int
}

struct SLAPolicyInput: Decodable {
    var firstResponseMinutes: Int
    var resolutionMinutes: Int

    /// Up to ten years, in whole minutes.
    func validate() throws {
        var errors: [FieldError] = []
        for (field, value) in [
            ("first_response_minutes", firstResponseMinutes), ("resolution_minutes", resolutionMinutes),
        ] where value < 1 || value > 5_256_000 {
            errors.append(FieldError(field: field, message: "must be 1 to 5256000 minutes"))
        }
        if !errors.isEmpty { throw AppError.validation(errors) }
    }
}

/// `POST /cases/{id}/rate`.
struct RatingRequest: Decodable {
    var score: Int
    var comment: String?
}

/// The filters of `GET /cases`.
struct CaseFilter {
    var status: ServiceCase.Status?
    var priority: ServiceCase.Priority?
    var type: ServiceCase.Kind?
    var customerId: UUID?
    var ownerId: UUID?
    var teamId: UUID?
    var breached: Bool?
    var descending = false
}

/// A customer's cases for the 360° summary.
public struct CaseFigures: Sendable, Encodable {
    /// Not resolved or closed.
    public let open: Int64
    /// Open and past a deadline.
    public let breached: Int64
    /// The mean of every rating, two decimals; null before the first.
    public let averageSatisfaction: ExactDecimal?
}

// MARK: Returns

/// `POST /sales-orders/{id}/returns`.
struct ReturnRequest: Decodable {
    var lines: [LineQuantity]
    var reason: String
    var caseId: UUID?
    var restock: Bool?
    var warehouseId: UUID?
}

/// Goods a customer sent back against a sales order (`RMA-000001`): restocked at the cost they
/// shipped at, or written off; the billed part credited, the unbilled part no longer billed.
public struct CustomerReturn: Decodable, JSONMembers, Sendable {
    public let id: UUID
    public let number: String
    public let salesOrderId: UUID
    public let customerId: UUID
    public let caseId: UUID?
    /// Where restocked goods went; null for a write-off.
    public let warehouseId: UUID?
    public let restock: Bool
    public let reason: String
    public let currency: String
    /// Σ of the lines' revenue: what the returned goods had earned, net of tax.
    public let revenue: Int64
    /// Σ of the lines' cost, in the installation's currency.
    @Cost public var cost: Int64?
    /// Σ of the credit notes, tax included.
    public let creditedAmount: Int64
    public let lines: [Line]
    public let movements: [Movement]
    public let creditNotes: [CreditNoteReference]
    public let createdBy: UUID?
    public let createdAt: Date
    public let updatedAt: Date
    public let version: Int

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("id", id)
        try object.member("number", number)
        try object.member("sales_order_id", salesOrderId)
        try object.member("customer_id", customerId)
        try object.member("case_id", caseId)
        try object.member("warehouse_id", warehouseId)
        try object.member("restock", restock)
        try object.member("reason", reason)
        try object.member("currency", currency)
        try object.member("revenue", revenue)
        try object.member("cost", _cost)
        try object.member("credited_amount", creditedAmount)
        try object.member("lines", lines)
        try object.member("movements", movements)
        try object.member("credit_notes", creditNotes)
        try object.member("created_by", createdBy)
        try object.member("created_at", createdAt)
        try object.member("updated_at", updatedAt)
        try object.member("version", version)
    }

    public struct Line: Decodable, JSONMembers, Sendable {
        public let lineNo: Int
        public let salesOrderLineNo: Int
        public let itemId: UUID?
        public let quantity: ExactDecimal
        /// What the goods shipped at per unit (installation currency).
        @Cost public var unitCost: Int64?
        @Cost public var cost: Int64?
        public let revenue: Int64
        /// The part that was billed and is credited on `credit_note_id`.
        public let creditedQuantity: ExactDecimal
        /// The part that was not billed yet: the order no longer bills it.
        public let uninvoicedQuantity: ExactDecimal
        public let invoiceId: UUID?
        public let creditNoteId: UUID?
        public let movementId: UUID?

        public func writeMembers(to object: inout JSONMemberWriter) throws {
            try object.member("line_no", lineNo)
            try object.member("sales_order_line_no", salesOrderLineNo)
            try object.member("item_id", itemId)
            try object.member("quantity", quantity)
            try object.member("unit_cost", _unitCost)
            try object.member("cost", _cost)
            try object.member("revenue", revenue)
            try object.member("credited_quantity", creditedQuantity)
            try object.member("uninvoiced_quantity", uninvoicedQuantity)
            try object.member("invoice_id", invoiceId)
            try object.member("credit_note_id", creditNoteId)
            try object.member("movement_id", movementId)
        }
    }

    public struct Movement: Decodable, JSONMembers, Sendable {
        public let id: UUID
        public let itemId: UUID
        public let warehouseId: UUID
        public let quantity: ExactDecimal
        public let kind: String
        @Cost public var unitCost: Int64?

        public func writeMembers(to object: inout JSONMemberWriter) throws {
            try object.member("id", id)
            try object.member("item_id", itemId)
            try object.member("warehouse_id", warehouseId)
            try object.member("quantity", quantity)
            try object.member("kind", kind)
            try object.member("unit_cost", _unitCost)
        }
    }

    public struct CreditNoteReference: Decodable, JSONMembers, Sendable {
        public let id: UUID
        public let number: String
        public let invoiceId: UUID
        public let amount: Int64
        public let unappliedAmount: Int64

        public func writeMembers(to object: inout JSONMemberWriter) throws {
            try object.member("id", id)
            try object.member("number", number)
            try object.member("invoice_id", invoiceId)
            try object.member("amount", amount)
            try object.member("unapplied_amount", unappliedAmount)
        }
    }
}

/// The filters of `GET /returns`.
struct ReturnFilter {
    var customerId: UUID?
    var salesOrderId: UUID?
    var from: LocalDate?
    var to: LocalDate?
    var descending = false
}

extension ProblemCode {
    /// More returned than shipped less already returned on a line (409, `lines` names each
    /// line with `shipped`, `returned` and `requested`).
    public static let overReturn = ProblemCode("over_return", .conflict)
    /// A case rated twice.
    public static let alreadyRated = ProblemCode("already_rated", .conflict)
}
