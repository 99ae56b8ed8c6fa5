import FoundationEssentials
import Postgres

/// SQL of users and API keys.
struct UserStore: Sendable {
    static let userColumns: SQL =
        "id, name, email, role, active, team_id, data_scope, created_at, updated_at, version"

    func insertUser(
        name: String, email: String, role: Role, teamID: UUID? = nil, dataScope: DataScope = .all, in tx: Transaction
    ) throws -> User {
        try Self.user(
            tx.first(
                """
                INSERT INTO users (name, email, role, team_id, data_scope)
                VALUES (\(name), \(email), \(role.rawValue), \(teamID), \(dataScope.rawValue))
                RETURNING \(Self.userColumns)
                """)!)
    }

    func user(id: UUID, in tx: Transaction) throws -> User? {
        try tx.first("SELECT \(Self.userColumns) FROM users WHERE id = \(id)").map(Self.user)
    }

    func user(email: String, in tx: Transaction) throws -> User? {
        try tx.first("SELECT \(Self.userColumns) FROM users WHERE lower(email) = lower(\(email))").map(Self.user)
    }

    func lockUser(id: UUID, in tx: Transaction) throws -> User? {
        try tx.first("SELECT \(Self.userColumns) FROM users WHERE id = \(id) FOR UPDATE").map(Self.user)
    }

    func listUsers(after: (key: String, id: UUID)?, limit: Int, in tx: Transaction) throws -> [User] {
        let page = Keyset.createdAt.clause([], after: after, limit: limit)
        return try tx.query("SELECT \(Self.userColumns) FROM users \(page)").rows.map(Self.user)
    }

    func updateUser(_ user: User, in tx: Transaction) throws -> User {
        try Self.user(
            tx.first(
                """
                UPDATE users SET name = \(user.name), email = \(user.email), role = \(user.role.rawValue), active = \(user.active),
                    team_id = \(user.teamId), data_scope = \(user.dataScope.rawValue),
                    updated_at = now(), version = version + 1
                WHERE id = \(user.id) RETURNING \(Self.userColumns)
                """)!)
    }

    func countUsers(in tx: Transaction) throws -> Int {
        try tx.first("SELECT count(*) AS n FROM users")!.decode("n")
    }

    static let keyColumns: SQL =
        "id, user_id, name, prefix, rate_limit_per_second, created_at, last_used_at, revoked_at, version"

    func insertKey(userID: UUID, name: String, token: APIKeyToken, rateLimitPerSecond: Int? = nil, in tx: Transaction)
        throws -> APIKey
    {
        try Self.key(
            tx.first(
                """
                INSERT INTO api_keys (user_id, name, prefix, secret_hash, rate_limit_per_second)
                VALUES (\(userID), \(name), \(token.prefix), decode(\(Crypto.hex(Crypto.sha256(token.secret))), 'hex'), \(rateLimitPerSecond))
                RETURNING \(Self.keyColumns)
                """)!)
    }

    /// The id part is stored (it is what authentication looks up); `idPart` filters on it.
    func listKeys(after: (key: String, id: UUID)?, limit: Int, userID: UUID?, idPart: String? = nil, in tx: Transaction)
        throws -> [APIKey]
    {
        var conditions: [SQL] = userID.map { ["user_id = \($0)"] } ?? []
        if let idPart { conditions.append("prefix = \(idPart)") }
        let page = Keyset.createdAt.clause(conditions, after: after, limit: limit)
        return try tx.query("SELECT \(Self.keyColumns) FROM api_keys \(page)").rows.map(Self.key)
    }

    func key(id: UUID, in tx: Transaction) throws -> APIKey? {
        try tx.first("SELECT \(Self.keyColumns) FROM api_keys WHERE id = \(id)").map(Self.key)
    }

    func lockKey(id: UUID, in tx: Transaction) throws -> APIKey? {
        try tx.first("SELECT \(Self.keyColumns) FROM api_keys WHERE id = \(id) FOR UPDATE").map(Self.key)
    }

    func revokeKey(id: UUID, in tx: Transaction) throws -> APIKey? {
        try tx.first(
            """
            UPDATE api_keys SET revoked_at = now(), updated_at = now(), version = version + 1
            WHERE id = \(id) AND revoked_at IS NULL RETURNING \(Self.keyColumns)
            """
        ).map(Self.key)
    }

    func updateKey(id: UUID, name: String, rateLimitPerSecond: Int?, in tx: Transaction) throws -> APIKey {
        try Self.key(
            tx.first(
                """
                UPDATE api_keys SET name = \(name), rate_limit_per_second = \(rateLimitPerSecond), updated_at = now(), version = version + 1
                WHERE id = \(id) RETURNING \(Self.keyColumns)
                """)!)
    }

    /// Revokes every key of a user except `keeping` (bootstrap rotation).
    func revokeOtherKeys(userID: UUID, keeping: UUID?, in tx: Transaction) throws {
        try tx.execute(
            """
            UPDATE api_keys SET revoked_at = now(), updated_at = now(), version = version + 1
            WHERE user_id = \(userID) AND revoked_at IS NULL AND id IS DISTINCT FROM \(keeping)
            """)
    }

    /// The key with `prefix` and what a request needs of its user, for authentication: one
    /// indexed read (bench/me.sql runs the same statement).
    func credential(prefix: String, in tx: Transaction) throws -> Credential? {
        guard
            let row = try tx.first(
                """
                SELECT k.id AS key_id, k.last_used_at, k.revoked_at, encode(k.secret_hash, 'hex') AS secret_hash,
                       k.rate_limit_per_second, u.id AS user_id, u.name, u.email, u.role, u.active,
                       u.team_id, u.data_scope
                FROM api_keys k JOIN users u ON u.id = k.user_id
                WHERE k.prefix = \(prefix)
                """)
        else { return nil }
        return Credential(
            hash: Self.bytes(fromHex: try row.decode("secret_hash")), keyID: try row.decode("key_id"),
            lastUsedAt: try row.decodeIfPresent("last_used_at"), revokedAt: try row.decodeIfPresent("revoked_at"),
            userID: try row.decode("user_id"), name: try row.decode("name"), email: try row.decode("email"),
            role: try Self.role(row), active: try row.decode("active"), prefix: APIKeyToken.displayPrefix(prefix),
            rateLimitPerSecond: try row.decodeIfPresent("rate_limit_per_second"),
            teamID: try row.decodeIfPresent("team_id"),
            dataScope: try row.decodeEnum("data_scope", as: DataScope.self))
    }

    /// Records use at most once a minute per key, so authentication stays a read.
    func touchKey(id: UUID, in tx: Transaction) throws {
        try tx.execute("UPDATE api_keys SET last_used_at = now() WHERE id = \(id)")
    }

    static func user(_ row: Row) throws -> User {
        User(
            id: try row.decode("id"), name: try row.decode("name"), email: try row.decode("email"), role: try role(row),
            active: try row.decode("active"), teamId: try row.decodeIfPresent("team_id"),
            dataScope: try row.decodeEnum("data_scope", as: DataScope.self), createdAt: try row.decode("created_at"),
            updatedAt: try row.decode("updated_at"), version: try row.decode("version"))
    }

    static func role(_ row: Row) throws -> Role {
        guard let role = Role(rawValue: try row.decode("role")) else {
            throw PostgresError.decoding(column: "role", message: "unknown role")
        }
        return role
    }

    static func key(_ row: Row) throws -> APIKey {
        APIKey(
            id: try row.decode("id"), userId: try row.decode("user_id"), name: try row.decode("name"),
            prefix: APIKeyToken.displayPrefix(try row.decode("prefix")),
            rateLimitPerSecond: try row.decodeIfPresent("rate_limit_per_second"),
            createdAt: try row.decode("created_at"),
            lastUsedAt: try row.decodeIfPresent("last_used_at"), revokedAt: try row.decodeIfPresent("revoked_at"),
            version: try row.decode("version"))
    }

    static func bytes(fromHex text: String) -> [UInt8] {
        var text = text
        return text.withUTF8 { utf8 in
            [UInt8](unsafeUninitializedCapacity: utf8.count / 2) { bytes, count in
                func value(_ c: UInt8) -> UInt8 { c <= 57 ? c - 48 : (c | 0x20) - 87 }
                for index in 0..<utf8.count / 2 {
                    bytes[index] = value(utf8[2 * index]) << 4 | value(utf8[2 * index + 1])
                }
                count = utf8.count / 2
            }
        }
    }
}
