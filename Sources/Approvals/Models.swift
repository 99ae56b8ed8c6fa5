import Core
import FoundationEssentials
import Platform
import Postgres

/// A rule of `/approval-rules`: which documents need whom before they bind the company.
public struct ApprovalRule: Decodable, JSONMembers, Sendable {
    public let id: UUID
    public let name: String
    public let document: ApprovalDocument
    public let condition: Condition
    /// Who approves, in order: each step names a role or a user.
    public let steps: [Step]
    /// Hours an approval of this rule may wait before an `approval_waiting` alert opens; null: never.
    public let alertAfterHours: Int?
    public let active: Bool
    public let createdAt: Date
    public let updatedAt: Date
    public let version: Int

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("id", id)
        try object.member("name", name)
        try object.member("document", document)
        try object.member("condition", condition)
        try object.member("steps", steps)
        try object.member("alert_after_hours", alertAfterHours)
        try object.member("active", active)
        try object.member("created_at", createdAt)
        try object.member("updated_at", updatedAt)
        try object.member("version", version)
    }

    static let readOnlyFields: Set<String> = ["id", "created_at", "updated_at", "version"]

    /// The one condition of a rule.
    public struct Condition: Decodable, JSONMembers, Sendable, Equatable {
        public let type: Kind
        /// `total_at_least`: the total (minor units) in `currency` from which the rule applies.
        public let amount: Int64?
        public let currency: String?
        /// `line_discount_above` and `margin_below`: the percent.
        public let percent: ExactDecimal?

        public func writeMembers(to object: inout JSONMemberWriter) throws {
            try object.member("type", type)
            try object.member("amount", amount)
            try object.member("currency", currency)
            try object.member("percent", percent)
        }

        public enum Kind: String, Codable, Sendable, CaseIterable {
            case totalAtLeast = "total_at_least"
            case lineDiscountAbove = "line_discount_above"
            case marginBelow = "margin_below"
            case creditOverride = "credit_override"
        }
    }

    /// One approver: a role (`admin` also decides any role's step) or one user.
    public struct Step: Decodable, JSONMembers, Sendable, Equatable {
        public let role: Role?
        public let userId: UUID?

        public func writeMembers(to object: inout JSONMemberWriter) throws {
            try object.member("role", role)
            try object.member("user_id", userId)
        }
    }
}

/// `POST /approval-rules`.
struct ApprovalRuleInput: Decodable {
    let name: String?
    let document: ApprovalDocument
    let condition: ConditionInput
    let steps: [StepInput]
    let alertAfterHours: Int?
    let active: Bool?

    struct ConditionInput: Decodable {
        let type: ApprovalRule.Condition.Kind
        let amount: Int64?
        let currency: String?
        let percent: ExactDecimal?
    }

    struct StepInput: Decodable {
        let role: Role?
        let userId: UUID?
    }

    /// The rule's condition and steps after the field checks (a 422 naming every problem);
    /// `defaultCurrency` is the currency of a `total_at_least` that names none.
    func validated(defaultCurrency: String) throws -> (ApprovalRule.Condition, [ApprovalRule.Step]) {
        var errors: [FieldError] = []
        if let name, name.trimmed().isEmpty || name.count > 200 {
            errors.append(FieldError(field: "name", message: "must be 1 to 200 characters"))
        }
        var condition = ApprovalRule.Condition(type: condition.type, amount: nil, currency: nil, percent: nil)
        let sent = self.condition
        switch sent.type {
        case .totalAtLeast:
            if let amount = sent.amount {
                if let message = MoneyRules.problem(amount) {
                    errors.append(FieldError(field: "condition.amount", message: message))
                }
            } else {
                errors.append(FieldError(field: "condition.amount", message: "is required for total_at_least"))
            }
            if let currency = sent.currency, let message = Currency.problem(currency) {
                errors.append(FieldError(field: "condition.currency", message: message))
            }
            if sent.percent != nil {
                errors.append(FieldError(field: "condition.percent", message: "is not used by total_at_least"))
            }
            condition = .init(
                type: sent.type, amount: sent.amount, currency: sent.currency ?? defaultCurrency, percent: nil)
        case .lineDiscountAbove, .marginBelow:
            if let percent = sent.percent {
                if !DocumentRules.isPercentage(percent) {
                    errors.append(FieldError(field: "condition.percent", message: "must be between 0 and 100"))
                }
            } else {
                errors.append(FieldError(field: "condition.percent", message: "is required for \(sent.type.rawValue)"))
            }
            if sent.amount != nil || sent.currency != nil {
                errors.append(
                    FieldError(
                        field: sent.amount != nil ? "condition.amount" : "condition.currency",
                        message: "is not used by \(sent.type.rawValue)"))
            }
            condition = .init(type: sent.type, amount: nil, currency: nil, percent: sent.percent)
        case .creditOverride:
            if sent.amount != nil || sent.currency != nil || sent.percent != nil {
                errors.append(FieldError(field: "condition", message: "credit_override takes no figures"))
            }
        }
        if sent.type == .creditOverride && document != .salesOrder {
            errors.append(FieldError(field: "condition.type", message: "credit_override applies to sales orders only"))
        }
        if [.lineDiscountAbove, .marginBelow].contains(sent.type) && document != .salesOrder {
            errors.append(
                FieldError(field: "condition.type", message: "\(sent.type.rawValue) applies to sales orders only"))
        }
        if steps.isEmpty || steps.count > 10 {
            errors.append(FieldError(field: "steps", message: "must have 1 to 10 steps"))
        }
        for (index, step) in steps.enumerated() where (step.role == nil) == (step.userId == nil) {
            errors.append(FieldError(field: "steps[\(index)]", message: "must name exactly one of role and user_id"))
        }
        for (index, step) in steps.enumerated() where step.role == .readonly {
            errors.append(
                FieldError(field: "steps[\(index)].role", message: "readonly users cannot decide approvals"))
        }
        if let hours = alertAfterHours, !(1...8760).contains(hours) {
            errors.append(FieldError(field: "alert_after_hours", message: "must be from 1 to 8760"))
        }
        try DocumentRules.check(errors)
        return (condition, steps.map { ApprovalRule.Step(role: $0.role, userId: $0.userId) })
    }
}

/// One document's request for approval (`/approvals`).
public struct Approval: Decodable, JSONMembers, Sendable {
    public let id: UUID
    public let number: String
    public let status: Status
    public let document: DocumentRef
    public let currency: String
    public let total: Int64
    public let requestedBy: UUID
    public let ruleIds: [UUID]
    public let steps: [StepState]
    /// 1-based position of the step waiting for a decision; null once decided.
    public let currentStep: Int?
    /// Why it was rejected.
    public let reason: String?
    /// The last time the final approval could not run the action (the action's problem), while
    /// the request stays pending.
    public let lastFailure: JSONValue?
    public let decidedAt: Date?
    public let createdAt: Date
    public let updatedAt: Date
    public let version: Int

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("id", id)
        try object.member("number", number)
        try object.member("status", status)
        try object.member("document", document)
        try object.member("currency", currency)
        try object.member("total", total)
        try object.member("requested_by", requestedBy)
        try object.member("rule_ids", ruleIds)
        try object.member("steps", steps)
        try object.member("current_step", currentStep)
        try object.member("reason", reason)
        try object.member("last_failure", lastFailure)
        try object.member("decided_at", decidedAt)
        try object.member("created_at", createdAt)
        try object.member("updated_at", updatedAt)
        try object.member("version", version)
    }

    public enum Status: String, Codable, Sendable, CaseIterable { case pending, approved, rejected, withdrawn }

    public struct DocumentRef: Decodable, JSONMembers, Sendable {
        public let type: ApprovalDocument
        public let id: UUID
        public let number: String

        public func writeMembers(to object: inout JSONMemberWriter) throws {
            try object.member("type", type)
            try object.member("id", id)
            try object.member("number", number)
        }
    }

    /// A step and what became of it: `approved`, `rejected`, `pending` (its turn) or `waiting`.
    public struct StepState: Decodable, JSONMembers, Sendable {
        public let position: Int
        public let role: Role?
        public let userId: UUID?
        public let status: String
        public let decidedBy: UUID?
        public let decidedAt: Date?
        public let comment: String?

        public func writeMembers(to object: inout JSONMemberWriter) throws {
            try object.member("position", position)
            try object.member("role", role)
            try object.member("user_id", userId)
            try object.member("status", status)
            try object.member("decided_by", decidedBy)
            try object.member("decided_at", decidedAt)
            try object.member("comment", comment)
        }
    }
}

/// The stored part of an approval, before its decisions are joined in.
struct ApprovalRow {
    let id: UUID
    let number: String
    let status: Approval.Status
    let document: Approval.DocumentRef
    let currency: String
    let total: Int64
    let requestedBy: UUID
    let ruleIds: [UUID]
    let steps: [ApprovalRule.Step]
    let currentStep: Int
    let options: JSONObject
    let reason: String?
    let lastFailure: JSONValue?
    let decidedAt: Date?
    let createdAt: Date
    let updatedAt: Date
    let version: Int
}

/// One decision on a step.
struct Decision {
    let step: Int
    let decision: String
    let userID: UUID
    let comment: String?
    let createdAt: Date
}

/// `POST /approvals/{id}/approve`.
struct ApproveInput: Decodable {
    let comment: String?
}

/// `POST /approvals/{id}/reject`.
struct RejectInput: Decodable {
    let reason: String?
}

/// `GET /approvals` filters.
struct ApprovalFilter {
    var status: Approval.Status?
    var documentType: ApprovalDocument?
    var documentId: UUID?
    /// The caller, when `mine=true`: pending requests whose current step they may decide.
    var mine: Principal?
}

/// Runs and undoes a document's held-back action; App provides one per document type.
public struct DocumentActions: Sendable {
    /// Runs the action (order, confirm, post) with every usual check, inside the approval's
    /// transaction; returns the document.
    public let complete:
        @Sendable (_ id: UUID, _ options: JSONObject, _ actor: Principal, _ tx: Transaction) throws
            -> JSONValue
    /// Puts the document back to `draft`.
    public let revert: @Sendable (_ id: UUID, _ tx: Transaction) throws -> Void

    public init(
        complete: @escaping @Sendable (UUID, JSONObject, Principal, Transaction) throws -> JSONValue,
        revert: @escaping @Sendable (UUID, Transaction) throws -> Void
    ) {
        self.complete = complete
        self.revert = revert
    }
}

extension ProblemCode {
    /// The requester tried to decide their own request.
    public static let selfApproval = ProblemCode("self_approval", .forbidden)
    /// The caller's role or user is not the one the current step names (nor any later one).
    public static let notApprover = ProblemCode("not_approver", .forbidden)
    /// The caller may decide a later step, not the current one.
    public static let approvalOutOfTurn = ProblemCode("approval_out_of_turn", .conflict)
    /// The caller already decided a step of this request.
    public static let alreadyDecided = ProblemCode("already_decided", .conflict)
}
