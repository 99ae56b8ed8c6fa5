import Core
import FoundationEssentials
import Platform
import Postgres

/// A deal with a customer, moving through the pipeline's stages.
public struct Opportunity: Decodable, JSONMembers, Sendable {
    public let id: UUID
    public let number: String
    public var customerId: UUID
    public var name: String
    public var stage: Stage
    /// The effective probability: the explicitly set one, else the stage's default.
    public var probability: ExactDecimal
    public var amount: Int64
    public var currency: String
    public var expectedCloseDate: LocalDate?
    public var ownerId: UUID?
    public var lostReason: String?
    public var lines: [OpportunityLine]
    public var salesOrderId: UUID?
    public var closedAt: Date?
    public var stageHistory: [StageEntry]
    public let createdAt: Date
    public var updatedAt: Date
    public var version: Int

    /// The probability a user set; nil when it follows the stage. Not part of the JSON: the
    /// writable view of `probability` is this value.
    var probabilityOverride: ExactDecimal?

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("id", id)
        try object.member("number", number)
        try object.member("customer_id", customerId)
        try object.member("name", name)
        try object.member("stage", stage)
        try object.member("probability", probability)
        try object.member("amount", amount)
        try object.member("currency", currency)
        try object.member("expected_close_date", expectedCloseDate)
        try object.member("owner_id", ownerId)
        try object.member("lost_reason", lostReason)
        try object.member("lines", lines)
        try object.member("sales_order_id", salesOrderId)
        try object.member("closed_at", closedAt)
        try object.member("stage_history", stageHistory)
        try object.member("created_at", createdAt)
        try object.member("updated_at", updatedAt)
        try object.member("version", version)
    }

    public enum Stage: String, Codable, Sendable, CaseIterable {
        case prospecting, qualification, proposal, negotiation, won, lost

        /// API.md: 10/25/50/75/100/0.
        public var defaultProbability: ExactDecimal {
            switch self {
            case .prospecting: ExactDecimal(integer: 10)
            case .qualification: ExactDecimal(integer: 25)
            case .proposal: ExactDecimal(integer: 50)
            case .negotiation: ExactDecimal(integer: 75)
            case .won: ExactDecimal(integer: 100)
            case .lost: .zero
            }
        }

        public var isOpen: Bool { self != .won && self != .lost }
    }

    enum CodingKeys: String, CodingKey {
        case id, number, customerId, name, stage, probability, amount, currency, expectedCloseDate, ownerId, lostReason,
            lines
        case salesOrderId, closedAt, stageHistory, createdAt, updatedAt, version
    }

    /// Closed deals are certain: won weighs 100 %, lost 0 %, whatever was set while open.
    static func effectiveProbability(stage: Stage, override: ExactDecimal?) -> ExactDecimal {
        stage.isOpen ? (override ?? stage.defaultProbability) : stage.defaultProbability
    }

    /// What a merge patch applies to: the writable fields, with `probability` as set by a user
    /// (null when it follows the stage), so patching other fields never pins it.
    func writableDocument() throws -> JSONValue {
        var document = try JSONValueEncoder().encode(self).keeping(Self.writableFields)
        guard case .object(var object) = document else { return document }
        object.set("probability", probabilityOverride.map { .number($0.description) } ?? .null)
        object.set(
            "lines",
            try JSONValueEncoder().encode(
                lines.map {
                    OpportunityLineInput(
                        itemId: $0.itemId, description: $0.description, quantity: $0.quantity, unitPrice: $0.unitPrice)
                }))
        document = .object(object)
        return document
    }

    static let writableFields: Set<String> = [
        "customer_id", "name", "stage", "probability", "amount", "currency", "expected_close_date", "owner_id", "lines",
    ]
    static let readOnlyFields: Set<String> = [
        "id", "number", "lost_reason", "sales_order_id", "closed_at", "stage_history", "created_at", "updated_at",
        "version",
    ]
}

public struct OpportunityLine: Codable, Sendable {
    public let lineNo: Int
    public let itemId: UUID?
    public let description: String?
    public let quantity: ExactDecimal
    public let unitPrice: Int64?
}

/// One stage an opportunity entered: when, and by whom.
public struct StageEntry: Codable, Sendable {
    public let stage: Opportunity.Stage
    public let enteredAt: Date
    public let enteredBy: UUID?
}

/// An opportunity's writable fields (create, and what a merge patch produces).
struct OpportunityInput: Decodable {
    var customerId: UUID
    var name: String
    var stage: Opportunity.Stage?
    var probability: ExactDecimal?
    var amount: Int64?
    var currency: String?
    var expectedCloseDate: LocalDate?
    var ownerId: UUID?
    var lines: [OpportunityLineInput]?

    mutating func normalize() {
        name = name.trimmed()
    }

    func validate() throws {
        var errors: [FieldError] = []
        if name.isEmpty || name.count > 200 {
            errors.append(FieldError(field: "name", message: "must be 1 to 200 characters"))
        }
        if let probability, !DocumentRules.isPercentage(probability) {
            errors.append(FieldError(field: "probability", message: "must be between 0 and 100"))
        }
        if let amount, let message = MoneyRules.problem(amount) {
            errors.append(FieldError(field: "amount", message: message))
        }
        if let currency, let message = Currency.problem(currency) {
            errors.append(FieldError(field: "currency", message: message))
        }
        for (index, line) in (lines ?? []).enumerated() {
            errors += DocumentRules.lineProblems(
                at: "lines[\(index)]", quantity: line.quantity, price: line.unitPrice,
                description: line.description)
            if line.itemId == nil && line.description.trimmedOrNil == nil {
                errors.append(FieldError(field: "lines[\(index)]", message: "needs an item_id or a description"))
            }
        }
        errors += DocumentRules.countProblems((lines ?? []).count)
        try DocumentRules.check(errors)
    }

    /// Σ quantity × unit price, each line rounded half-even to the minor unit; nil when a line
    /// has no price (then the amount is whatever the user says, or 0).
    var linesTotal: Int64? {
        guard let lines, !lines.isEmpty else { return nil }
        var total: Int64 = 0
        for line in lines {
            guard let price = line.unitPrice else { return nil }
            let (sum, overflow) = total.addingReportingOverflow(
                line.quantity.multipliedRoundingHalfEven(byMinorUnits: price))
            if overflow { return nil }
            total = sum
        }
        return total
    }
}

struct OpportunityLineInput: Codable {
    /// Accepted so a client can send back the lines it read; lines are numbered by position.
    var lineNo: Int?
    var itemId: UUID?
    var description: String?
    var quantity: ExactDecimal
    var unitPrice: Int64?

    init(itemId: UUID?, description: String?, quantity: ExactDecimal, unitPrice: Int64?) {
        self.itemId = itemId
        self.description = description
        self.quantity = quantity
        self.unitPrice = unitPrice
    }

    enum CodingKeys: String, CodingKey { case lineNo, itemId, description, quantity, unitPrice }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(itemId, forKey: .itemId)
        try container.encodeIfPresent(description, forKey: .description)
        try container.encode(quantity, forKey: .quantity)
        try container.encodeIfPresent(unitPrice, forKey: .unitPrice)
    }
}

/// `POST /opportunities/{id}/win`.
struct WinRequest: Decodable {
    var createOrder: Bool?
}

/// `POST /opportunities/{id}/lose`.
struct LoseRequest: Decodable {
    var reason: String
}

/// Opens a draft sales order for a won opportunity and returns its id. App passes the Sales
/// module's function in (CRM never imports Sales); until then there is none.
public typealias OrderOpener =
    @Sendable (_ opportunity: Opportunity, _ actor: Principal, _ tx: Postgres.Transaction) throws -> UUID
