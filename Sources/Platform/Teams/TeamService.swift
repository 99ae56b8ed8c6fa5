import Core
import FoundationEssentials
import Postgres

/// Teams (admin only), their automatic assignment, and the ownership rules every module with
/// owned records uses: who a new record belongs to, and who may hand one to someone else.
public final class TeamService: Sendable {
    let pool: ConnectionPool
    let events: EventLog
    let store = TeamStore()

    public init(pool: ConnectionPool, events: EventLog) {
        self.pool = pool
        self.events = events
    }

    func create(_ input: TeamInput, actor: Principal) throws -> Team {
        var input = input
        input.normalize()
        try input.validate()
        return try pool.transaction { tx in
            try checkManager(input.managerId, in: tx)
            return try events.recorded("team.created", try store.insert(input, in: tx), actor: actor, in: tx)
        }
    }

    func team(_ id: UUID) throws -> Team {
        try pool.record("team") { tx in try store.team(id: id, in: tx) }
    }

    func list(_ page: PageRequest) throws -> Page<Team> {
        try pool.page(page) { tx in try store.list(after: page.after, limit: page.limit, in: tx) }
    }

    func update(_ id: UUID, patch: JSONValue, ifMatch: (Int) throws -> Void, actor: Principal) throws -> Team {
        try pool.transaction { tx in
            guard let current = try store.team(id: id, lock: true, in: tx) else { throw AppError.notFound("team") }
            try ifMatch(current.version)
            var input = try MergePatch.apply(
                patch, to: TeamInput(name: current.name, managerId: current.managerId), writable: Team.writable,
                as: TeamInput.self)
            input.normalize()
            try input.validate()
            guard input.name != current.name || input.managerId != current.managerId else { return current }
            if input.managerId != current.managerId { try checkManager(input.managerId, in: tx) }
            var changed = current
            changed.name = input.name
            changed.managerId = input.managerId
            return try events.recorded("team.updated", try store.update(changed, in: tx), actor: actor, in: tx)
        }
    }

    /// Deletes a team nobody belongs to; otherwise 409 `team_not_empty`.
    func delete(_ id: UUID, ifMatch: (Int) throws -> Void, actor: Principal) throws {
        try pool.transaction { tx in
            guard let current = try store.team(id: id, lock: true, in: tx) else { throw AppError.notFound("team") }
            try ifMatch(current.version)
            if try store.hasMembers(id, in: tx) {
                throw AppError(.teamNotEmpty, "users still belong to \(current.name); move them to another team first")
            }
            try events.append(
                "team.deleted", resourceType: "team", resourceID: id, resource: current, actor: actor, in: tx)
            try store.delete(id: id, in: tx)
        }
    }

    /// `PUT /teams/{id}/assignment`: the mode and the members who take turns.
    func setAssignment(_ id: UUID, _ input: AssignmentInput, actor: Principal) throws -> Team {
        try input.validate()
        return try pool.transaction { tx in
            guard var team = try store.team(id: id, lock: true, in: tx) else { throw AppError.notFound("team") }
            let members = input.members ?? []
            let unknown = try store.unknownUsers(members, in: tx)
            if !unknown.isEmpty {
                throw AppError.validation(
                    members.enumerated().filter { unknown.contains($0.element) }.map {
                        FieldError(field: "members[\($0.offset)]", message: "names no user")
                    })
            }
            let assignment = Team.Assignment(mode: input.mode, members: members)
            guard assignment != team.assignment else { return team }
            team.assignment = assignment
            return try events.recorded("team.updated", try store.update(team, in: tx), actor: actor, in: tx)
        }
    }

    private func checkManager(_ id: UUID?, in tx: Transaction) throws {
        guard let id, try !store.unknownUsers([id], in: tx).isEmpty else { return }
        throw AppError.validation([FieldError(field: "manager_id", message: "names no user")])
    }

    // MARK: Ownership

    /// The owner of a new customer, lead or opportunity, inside the caller's transaction:
    /// the `requested` owner (422 naming `owner_id` when it names no user or, for a scoped
    /// caller, someone outside their scope); else the next member of `team`'s round robin
    /// (422 naming `team_id` when it names no team); else the caller when their scope is
    /// narrowed, so they still see what they made; else nobody.
    public func owner(requested: UUID?, team: UUID?, actor: Principal?, in tx: Transaction) throws -> UUID? {
        let scope = actor?.scope ?? .all
        if let requested {
            if try !store.unknownUsers([requested], in: tx).isEmpty {
                throw AppError.validation([FieldError(field: "owner_id", message: "names no user")])
            }
            try scope.checkOwner(requested, in: tx)
            return requested
        }
        if let team {
            guard try store.exists(team, in: tx) else {
                throw AppError.validation([FieldError(field: "team_id", message: "names no team")])
            }
            if let member = try store.takeTurn(team: team, in: tx) {
                try scope.checkOwner(member, field: "team_id", in: tx)
                return member
            }
        }
        return scope.defaultOwner
    }

    /// Checks that `actor` may hand a record owned by `from` to `to`: an admin may; a team
    /// manager may within their team (both owners are members). Anyone else: 403 `forbidden`.
    /// `to` must name a user (422 naming `owner_id`).
    public func checkReassign(from: UUID?, to: UUID, actor: Principal, in tx: Transaction) throws {
        if try !store.unknownUsers([to], in: tx).isEmpty {
            throw AppError.validation([FieldError(field: "owner_id", message: "names no user")])
        }
        if actor.role == .admin { return }
        guard try store.manages(actor.userID, teamOf: [from, to], in: tx) else {
            throw AppError(
                .forbidden, "only an admin, or the manager of a team both owners belong to, may reassign a record")
        }
    }
}

extension ProblemCode {
    public static let teamNotEmpty = ProblemCode("team_not_empty", .conflict)
}

/// Listed in creation order; named by id in events.
extension Team: CreatedRecord {}
