import Core
import FoundationEssentials
import Postgres

/// SQL of teams, their assignment turn, and the team questions ownership asks.
struct TeamStore: Sendable {
    static let columns: SQL =
        "id, name, manager_id, assignment_mode, assignment_members, created_at, updated_at, version"

    func insert(_ input: TeamInput, in tx: Transaction) throws -> Team {
        try Self.team(
            tx.first(
                """
                INSERT INTO teams (name, manager_id) VALUES (\(input.name), \(input.managerId))
                RETURNING \(Self.columns)
                """)!)
    }

    func team(id: UUID, lock: Bool = false, in tx: Transaction) throws -> Team? {
        let locking: SQL = lock ? " FOR UPDATE" : ""
        return try tx.first("SELECT \(Self.columns) FROM teams WHERE id = \(id)\(locking)").map(Self.team)
    }

    func list(after: (key: String, id: UUID)?, limit: Int, in tx: Transaction) throws -> [Team] {
        let page = Keyset.createdAt.clause([], after: after, limit: limit)
        return try tx.query("SELECT \(Self.columns) FROM teams \(page)").rows.map(Self.team)
    }

    func update(_ team: Team, in tx: Transaction) throws -> Team {
        try Self.team(
            tx.first(
                """
                UPDATE teams SET name = \(team.name), manager_id = \(team.managerId),
                    assignment_mode = \(team.assignment.mode.rawValue), assignment_members = \(team.assignment.members),
                    updated_at = now(), version = version + 1
                WHERE id = \(team.id) RETURNING \(Self.columns)
                """)!)
    }

    func delete(id: UUID, in tx: Transaction) throws {
        try tx.execute("DELETE FROM teams WHERE id = \(id)")
    }

    func hasMembers(_ id: UUID, in tx: Transaction) throws -> Bool {
        try tx.first("SELECT 1 AS one FROM users WHERE team_id = \(id) LIMIT 1") != nil
    }

    /// The ids among `ids` that name no user.
    func unknownUsers(_ ids: [UUID], in tx: Transaction) throws -> Set<UUID> {
        let found = try tx.query("SELECT id FROM users WHERE id = ANY(\(ids)::uuid[])").rows.map {
            try $0.decode("id") as UUID
        }
        return Set(ids).subtracting(found)
    }

    /// Takes the team's next turn and names whose it is, or nil when the team does not
    /// assign. The UPDATE locks the row, so concurrent creators (on any instance) queue on it
    /// and each reads the turn the previous one left: no two get the same turn.
    func takeTurn(team: UUID, in tx: Transaction) throws -> UUID? {
        try tx.first(
            """
            UPDATE teams SET assignment_turn = assignment_turn + 1
            WHERE id = \(team) AND assignment_mode = 'round_robin' AND cardinality(assignment_members) > 0
            RETURNING assignment_members[(assignment_turn - 1) % cardinality(assignment_members) + 1] AS member
            """
        )?.decodeIfPresent("member")
    }

    /// Whether `manager` manages a team both `owners` (nil: nobody) belong to.
    func manages(_ manager: UUID, teamOf owners: [UUID?], in tx: Transaction) throws -> Bool {
        let named = owners.compactMap { $0 }
        return try tx.first(
            """
            SELECT 1 AS one FROM teams t
            WHERE t.manager_id = \(manager)
              AND (SELECT count(*) FROM users u WHERE u.id = ANY(\(named)::uuid[]) AND u.team_id = t.id)
                  = cardinality(\(named)::uuid[])
            LIMIT 1
            """) != nil
    }

    func exists(_ id: UUID, in tx: Transaction) throws -> Bool {
        try tx.first("SELECT 1 AS one FROM teams WHERE id = \(id)") != nil
    }

    static func team(_ row: Row) throws -> Team {
        Team(
            id: try row.decode("id"), name: try row.decode("name"), managerId: try row.decodeIfPresent("manager_id"),
            assignment: Team.Assignment(
                mode: try row.decodeEnum("assignment_mode", as: Team.Mode.self),
                members: try row.decode("assignment_members")),
            createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"),
            version: try row.decode("version"))
    }
}
