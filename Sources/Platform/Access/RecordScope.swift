import Core
import FoundationEssentials
import Postgres

/// How far a user sees records that have an owner (customers, leads, opportunities and what
/// follows a customer): their own, their team's, or everything.
public enum DataScope: String, Sendable, Codable, CaseIterable {
    case own, team, all
}

/// The records one caller may see, as SQL. Made from the principal by `AuthMiddleware` and
/// bound for the request (`RecordScope.current`), so every store's list and get adds the same
/// condition inside its statement: a page of 50 is 50 visible rows and keyset cursors stay
/// right. Outside a request (command line, background work) the scope is `all`.
public struct RecordScope: Sendable, Equatable {
    public let reach: DataScope
    /// The caller (owner for `own`; also what `team` falls back to without a team).
    public let userID: UUID?
    public let teamID: UUID?

    public init(reach: DataScope, userID: UUID?, teamID: UUID?) {
        self.reach = reach
        self.userID = userID
        self.teamID = teamID
    }

    public static let all = RecordScope(reach: .all, userID: nil, teamID: nil)

    /// The scope of the request being served; `all` outside one.
    @TaskLocal public static var current: RecordScope = .all

    /// Whether nothing is hidden.
    public var seesEverything: Bool { reach == .all }

    /// Where a table's rows get their owner from.
    public indirect enum Rule: Sendable {
        /// The row's own owner column (`owner_id`).
        case owner(String)
        /// The row's `column` names a row of `table` that `rule` lets the caller see
        /// (`customer_id` of `customers` by their owner).
        case within(String, table: String, Rule)
        /// Any of the rules grants access.
        case either([Rule])

        /// The row belongs to the customer its column names: it follows the customer's owner
        /// (orders, shipments, invoices, payments, credit notes, contacts).
        public static func customer(_ column: String) -> Rule {
            .within(column, table: "customers", .owner("owner_id"))
        }

        /// An opportunity: its own owner or its customer's owner grants access.
        public static let opportunity = Rule.either([.owner("owner_id"), .customer("customer_id")])
    }

    /// The condition for rows visible under this scope, or nil when every row is (`all`).
    /// Columns are code-chosen SQL (`o.customer_id`), never input.
    public func condition(_ rule: Rule) -> SQL? {
        guard let owners else { return nil }
        return Self.condition(rule, owners: owners)
    }

    private static func condition(_ rule: Rule, owners: SQL) -> SQL {
        switch rule {
        case .owner(let column):
            return SQL(unsafeRaw: column) + " " + owners
        case .within(let column, let table, let inner):
            return SQL(unsafeRaw: "\(column) IN (SELECT id FROM \(table) WHERE ") + condition(inner, owners: owners)
                + ")"
        case .either(let rules):
            return "(" + SQL.join(rules.map { condition($0, owners: owners) }, separator: " OR ") + ")"
        }
    }

    /// `condition(rule)` or `true`, for statements that always take a condition.
    public func filter(_ rule: Rule) -> SQL { condition(rule) ?? "true" }

    /// `= me` or `IN (my team's users)`, nil for `all`.
    private var owners: SQL? {
        switch reach {
        case .all: return nil
        case .team where teamID != nil:
            return "IN (SELECT id FROM users WHERE team_id = \(teamID!))"
        case .own, .team:
            return "= \(userID ?? UUID())"
        }
    }

    /// Whether `owner` is someone this scope may give a record to (a scoped user may only set
    /// an owner inside their own scope). Inside the caller's transaction.
    public func admits(owner: UUID, in tx: Transaction) throws -> Bool {
        switch reach {
        case .all: return true
        case .team where teamID != nil:
            return try tx.first("SELECT 1 AS one FROM users WHERE id = \(owner) AND team_id = \(teamID!)") != nil
        case .own, .team: return owner == userID
        }
    }

    /// The owner a record created by this caller without one gets: the caller when scoped
    /// (so they can still see what they made), none otherwise.
    public var defaultOwner: UUID? { seesEverything ? nil : userID }

    /// Throws the 422 naming `field` when a scoped caller names an owner outside their scope.
    public func checkOwner(_ owner: UUID?, field: String = "owner_id", in tx: Transaction) throws {
        guard let owner, try !admits(owner: owner, in: tx) else { return }
        throw AppError.validation([FieldError(field: field, message: "names a user outside your data scope")])
    }
}

/// Fields only some roles read: without `costs.read`, costs and margins are encoded as null.
public enum SensitiveFields {
    /// Whether the request being served may read costs; true outside a request.
    @TaskLocal public static var costsVisible = true

    /// The permission that shows costs.
    public static let costsPermission = "costs.read"
}

/// A cost the API shows only to callers with `costs.read` (API.md "Permissions"); others read
/// `null`. Encoding checks the request's grant, so every response that carries the value hides it.
@propertyWrapper
public struct Cost<Value: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public var wrappedValue: Value

    public init(wrappedValue: Value) { self.wrappedValue = wrappedValue }

    public init(from decoder: Decoder) throws {
        wrappedValue = try decoder.singleValueContainer().decode(Value.self)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        if SensitiveFields.costsVisible { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}
