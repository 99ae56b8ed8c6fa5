import Core
import FoundationEssentials
import Logging
import Postgres

/// Users, API keys and authentication.
public final class UserService: Sendable {
    let pool: ConnectionPool
    let events: EventLog
    let store = UserStore()
    /// Teams and the ownership rules of owned records.
    public let teams: TeamService

    public init(pool: ConnectionPool, events: EventLog) {
        self.pool = pool
        self.events = events
        teams = TeamService(pool: pool, events: events)
    }

    // MARK: Authentication

    /// The principal behind a presented key, or nil when the key is unknown, wrong, revoked or
    /// belongs to a deactivated user. Revocation takes effect on the next request: nothing is
    /// cached.
    public func authenticate(_ presented: String) throws -> Principal? {
        guard let token = APIKeyToken(presented) else { return nil }
        let presentedHash = Crypto.sha256(token.secret)
        // One statement, so no transaction around it: this runs on every request.
        guard let found = try pool.read({ tx in try store.credential(prefix: token.prefix, in: tx) }),
            Crypto.constantTimeEquals(found.hash, presentedHash),
            found.revokedAt == nil, found.active
        else { return nil }
        if found.lastUsedAt.map({ Date().timeIntervalSince($0) > 60 }) ?? true {
            try pool.transaction { tx in try store.touchKey(id: found.keyID, in: tx) }
        }
        return found.principal
    }

    // MARK: Users

    func createUser(_ input: UserCreate, actor: Principal?) throws -> User {
        try input.validate()
        return try pool.transaction { tx in
            try checkTeam(input.teamId, in: tx)
            let user = try insertUser(
                name: input.name, email: input.email, role: input.role, teamID: input.teamId,
                dataScope: input.role == .admin ? .all : input.dataScope ?? .all, in: tx)
            return try events.recorded("user.created", user, actor: actor, in: tx)
        }
    }

    /// 422 naming `team_id` when it names no team.
    private func checkTeam(_ teamID: UUID?, in tx: Transaction) throws {
        guard let teamID, try tx.first("SELECT 1 AS one FROM teams WHERE id = \(teamID)") == nil else { return }
        throw AppError.validation([FieldError(field: "team_id", message: "names no team")])
    }

    private func insertUser(
        name: String, email: String, role: Role, teamID: UUID? = nil, dataScope: DataScope = .all, in tx: Transaction
    ) throws -> User {
        do {
            return try store.insertUser(
                name: name, email: email, role: role, teamID: teamID, dataScope: dataScope, in: tx)
        } catch let error as PostgresError where error.state == .uniqueViolation {
            throw AppError(
                .duplicateUser, "a user with this email already exists",
                errors: [FieldError(field: "email", message: "is already taken")])
        }
    }

    func user(_ id: UUID) throws -> User {
        try pool.record("user", consistent: true) { tx in try store.user(id: id, in: tx) }
    }

    /// Whether `id` names a user (for `owner_id` fields of other modules); joins the caller's
    /// transaction when there is one.
    public func userExists(_ id: UUID) throws -> Bool {
        try pool.read { tx in try store.user(id: id, in: tx) != nil }
    }

    func listUsers(_ page: PageRequest) throws -> Page<User> {
        try pool.page(page, consistent: true) { tx in try store.listUsers(after: page.after, limit: page.limit, in: tx)
        }
    }

    func updateUser(_ id: UUID, patch: UserPatch, ifMatch: (Int) throws -> Void, actor: Principal) throws -> User {
        try patch.validate()
        return try pool.transaction { tx in
            guard var user = try store.lockUser(id: id, in: tx) else { throw AppError.notFound("user") }
            try ifMatch(user.version)
            let before = user
            if let name = patch.name { user.name = name }
            if let email = patch.email { user.email = email }
            if let role = patch.role { user.role = role }
            if let active = patch.active { user.active = active }
            if let teamID = patch.teamId {
                user.teamId = teamID
                if teamID != before.teamId { try checkTeam(teamID, in: tx) }
            }
            if let scope = patch.dataScope { user.dataScope = scope }
            // An admin always sees everything.
            if user.role == .admin { user.dataScope = .all }
            if user.id == actor.userID && (user.role != .admin || !user.active) {
                // Guard against locking the last way in: an admin cannot demote or deactivate themself.
                throw AppError(.conflict, "you cannot remove your own admin role or deactivate yourself")
            }
            // A patch that changes nothing writes nothing: no new version, no event.
            if user.name == before.name && user.email == before.email && user.role == before.role
                && user.active == before.active && user.teamId == before.teamId && user.dataScope == before.dataScope
            {
                return before
            }
            let updated: User
            do {
                updated = try store.updateUser(user, in: tx)
            } catch let error as PostgresError where error.state == .uniqueViolation {
                throw AppError(
                    .duplicateUser, "a user with this email already exists",
                    errors: [FieldError(field: "email", message: "is already taken")])
            }
            try events.append(
                "user.updated", resourceType: "user", resourceID: updated.id, resource: updated, actor: actor, in: tx)
            return updated
        }
    }

    // MARK: API keys

    func issueKey(userID: UUID, name: String, actor: Principal?) throws -> IssuedAPIKey {
        try issueKey(userID: userID, APIKeyInput(name: name), actor: actor)
    }

    func issueKey(userID: UUID, _ input: APIKeyInput, actor: Principal?) throws -> IssuedAPIKey {
        try input.validate()
        return try pool.transaction { tx in
            guard try store.user(id: userID, in: tx) != nil else { throw AppError.notFound("user") }
            let token = APIKeyToken.generate()
            let key = try store.insertKey(
                userID: userID, name: input.name, token: token, rateLimitPerSecond: input.rateLimitPerSecond, in: tx)
            try events.append(
                "api_key.created", resourceType: "api_key", resourceID: key.id, resource: key, actor: actor, in: tx)
            return IssuedAPIKey(
                id: key.id, userId: userID, name: key.name, prefix: key.prefix,
                rateLimitPerSecond: key.rateLimitPerSecond,
                key: token.text, createdAt: key.createdAt)
        }
    }

    /// `PATCH /users/{id}/api-keys/{key_id}`: a merge patch of `name` and
    /// `rate_limit_per_second` (null: back to the installation's limit). A key of another
    /// user is a 404; a patch that changes nothing writes nothing.
    func updateKey(userID: UUID, keyID: UUID, patch: JSONValue, ifMatch: (Int) throws -> Void, actor: Principal) throws
        -> APIKey
    {
        try pool.transaction { tx in
            guard let current = try store.lockKey(id: keyID, in: tx), current.userId == userID else {
                throw AppError.notFound("API key")
            }
            try ifMatch(current.version)
            let input = try MergePatch.apply(
                patch, to: APIKeyInput(name: current.name, rateLimitPerSecond: current.rateLimitPerSecond),
                writable: ["name", "rate_limit_per_second"], as: APIKeyInput.self)
            try input.validate()
            guard input.name != current.name || input.rateLimitPerSecond != current.rateLimitPerSecond else {
                return current
            }
            let key = try store.updateKey(
                id: keyID, name: input.name, rateLimitPerSecond: input.rateLimitPerSecond, in: tx)
            try events.append(
                "api_key.updated", resourceType: "api_key", resourceID: key.id, resource: key, actor: actor, in: tx)
            return key
        }
    }

    /// `prefix` is a key's `prefix` as shown (`ck_<id part>`) or a whole key: either finds it.
    func listKeys(_ page: PageRequest, userID: UUID?, prefix: String? = nil) throws -> Page<APIKey> {
        var idPart: String?
        if let prefix {
            let parts = prefix.split(separator: "_", omittingEmptySubsequences: false)
            guard parts.count >= 2, parts[0] == "ck", parts[1].count == 8 else {
                throw AppError.invalidParameter(
                    "prefix", "must be a key's prefix such as ck_Ab3dE9xQ, or the whole key")
            }
            idPart = String(parts[1])
        }
        return try pool.page(page, consistent: true) { tx in
            try store.listKeys(after: page.after, limit: page.limit, userID: userID, idPart: idPart, in: tx)
        }
    }

    func key(_ id: UUID) throws -> APIKey {
        try pool.record("API key") { tx in try store.key(id: id, in: tx) }
    }

    /// Revokes a key at once (the next request with it is a 401). Revoking a revoked key
    /// changes nothing: no new version, no event.
    func revokeKey(_ id: UUID, ifMatch: (Int) throws -> Void, actor: Principal) throws {
        try pool.transaction { tx in
            guard let current = try store.lockKey(id: id, in: tx) else { throw AppError.notFound("API key") }
            try ifMatch(current.version)
            guard let key = try store.revokeKey(id: id, in: tx) else { return }
            try events.append(
                "api_key.revoked", resourceType: "api_key", resourceID: key.id, resource: key, actor: actor, in: tx)
        }
    }

    // MARK: Command line and bootstrap

    /// `concord users create`.
    public func createUser(name: String, email: String, role: Role) throws -> User {
        try createUser(UserCreate(name: name, email: email, role: role), actor: nil)
    }

    /// The id of the user with `email` (command line); 404 when there is none.
    public func userID(email: String) throws -> UUID {
        guard let user = try pool.transaction({ tx in try store.user(email: email, in: tx) }) else {
            throw AppError.notFound("user with email \(email)")
        }
        return user.id
    }

    /// `concord api-keys create --user <email>`: the new key's text.
    public func issueKey(forEmail email: String, name: String = "command line") throws -> String {
        guard let user = try pool.transaction({ tx in try store.user(email: email, in: tx) }) else {
            throw AppError.notFound("user with email \(email)")
        }
        return try issueKey(userID: user.id, name: name, actor: nil).key
    }

    /// Runs `body` with a fresh key of the user with `email`, revoked when `body` returns or
    /// throws (for in-process work that goes through the API, such as the demo seed).
    public func withTemporaryKey<T>(forEmail email: String, name: String, _ body: (String) throws -> T) throws -> T {
        guard let user = try pool.transaction({ tx in try store.user(email: email, in: tx) }) else {
            throw AppError.notFound("user with email \(email)")
        }
        let issued = try issueKey(userID: user.id, name: name, actor: nil)
        defer { _ = try? pool.transaction { tx in try store.revokeKey(id: issued.id, in: tx) } }
        return try body(issued.key)
    }

    /// Makes sure an admin can get in. With `configuredKey` (CONCORD_ADMIN_API_KEY) the user
    /// `admin` exists and holds exactly that key; without it, an empty database gets an admin
    /// and a fresh key, which is returned so start-up prints it once. Returns nil otherwise.
    /// Serialised by an advisory lock so several instances starting at once agree.
    public func bootstrapAdmin(configuredKey: String?) throws -> String? {
        try pool.transaction { tx -> String? in
            try tx.query("SELECT pg_advisory_xact_lock(\(Int64(0x636F_6E63_6F72_6462)))")
            if let configuredKey {
                guard let token = APIKeyToken(configuredKey) else { return nil }
                let admin =
                    try store.user(email: "admin@concord.local", in: tx)
                    ?? insertUser(name: "admin", email: "admin@concord.local", role: .admin, in: tx)
                if !admin.active || admin.role != .admin {
                    var restored = admin
                    restored.active = true
                    restored.role = .admin
                    restored.dataScope = .all
                    _ = try store.updateUser(restored, in: tx)
                }
                if let existing = try store.credential(prefix: token.prefix, in: tx) {
                    if existing.userID == admin.id
                        && Crypto.constantTimeEquals(existing.hash, Crypto.sha256(token.secret))
                        && existing.revokedAt == nil
                    {
                        return nil
                    }
                    throw AppError(
                        .conflict, "CONCORD_ADMIN_API_KEY's id part is already used by another key; choose another")
                }
                let key = try store.insertKey(userID: admin.id, name: "CONCORD_ADMIN_API_KEY", token: token, in: tx)
                try store.revokeOtherKeys(userID: admin.id, keeping: key.id, in: tx)
                return nil
            }
            guard try store.countUsers(in: tx) == 0 else { return nil }
            let admin = try insertUser(name: "admin", email: "admin@concord.local", role: .admin, in: tx)
            let token = APIKeyToken.generate()
            _ = try store.insertKey(userID: admin.id, name: "first admin key", token: token, in: tx)
            return token.text
        }
    }
}

extension ProblemCode {
    public static let duplicateUser = ProblemCode("duplicate_user", .conflict)
}

/// Listed in creation order.
extension User: CreatedRecord {}
extension APIKey: CreatedRecord {}
