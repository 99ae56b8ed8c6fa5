import Core
import FoundationEssentials

/// A group of users: a manager, and the turn of its automatic assignment.
public struct Team: Decodable, JSONMembers, Sendable {
    public let id: UUID
    public var name: String
    public var managerId: UUID?
    public var assignment: Assignment
    public let createdAt: Date
    public var updatedAt: Date
    public var version: Int

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("id", id)
        try object.member("name", name)
        try object.member("manager_id", managerId)
        try object.member("assignment", assignment)
        try object.member("created_at", createdAt)
        try object.member("updated_at", updatedAt)
        try object.member("version", version)
    }

    /// How new leads and customers created with this `team_id` and no owner get one.
    public struct Assignment: Codable, Sendable, Equatable {
        public var mode: Mode
        /// Who takes turns, in order.
        public var members: [UUID]
    }

    public enum Mode: String, Codable, Sendable {
        case none
        case roundRobin = "round_robin"
    }

    static let readOnly: Set<String> = ["id", "assignment", "created_at", "updated_at", "version"]
    static let writable: Set<String> = ["name", "manager_id"]
}

/// `POST /teams` and what a `PATCH /teams/{id}` merge patch produces.
struct TeamInput: Codable {
    var name: String
    var managerId: UUID?

    mutating func normalize() { name = name.trimmed() }

    func validate() throws {
        if name.isEmpty || name.count > 200 {
            throw AppError.validation([FieldError(field: "name", message: "must be 1 to 200 characters")])
        }
    }
}

/// `PUT /teams/{id}/assignment`.
struct AssignmentInput: Decodable {
    var mode: Team.Mode
    var members: [UUID]?

    func validate() throws {
        let members = members ?? []
        if mode == .roundRobin && members.isEmpty {
            throw AppError.validation([FieldError(field: "members", message: "round_robin needs at least one member")])
        }
        if members.count > 1_000 {
            throw AppError.validation([FieldError(field: "members", message: "must list at most 1000 users")])
        }
        if Set(members).count != members.count {
            throw AppError.validation([FieldError(field: "members", message: "must not name a user twice")])
        }
    }
}

/// `POST /customers/{id}/reassign`, and the same for leads and opportunities.
public struct ReassignRequest: Decodable, Sendable {
    public var ownerId: UUID
}
