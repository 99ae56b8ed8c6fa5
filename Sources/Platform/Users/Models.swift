import Core
import FoundationEssentials

/// A person who calls the API through their keys.
public struct User: Decodable, JSONMembers, Sendable {
    public let id: UUID
    public var name: String
    public var email: String
    public var role: Role
    public var active: Bool
    /// The team the user belongs to, if any.
    public var teamId: UUID?
    /// How far the user sees owned records (`all` for every admin).
    public var dataScope: DataScope
    public let createdAt: Date
    public var updatedAt: Date
    public var version: Int

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("id", id)
        try object.member("name", name)
        try object.member("email", email)
        try object.member("role", role)
        try object.member("active", active)
        try object.member("team_id", teamId)
        try object.member("data_scope", dataScope)
        try object.member("created_at", createdAt)
        try object.member("updated_at", updatedAt)
        try object.member("version", version)
    }
}

/// `POST /users`.
struct UserCreate: Decodable {
    var name: String
    var email: String
    var role: Role
    var teamId: UUID?
    var dataScope: DataScope?

    static let readOnly: Set<String> = ["id", "active", "created_at", "updated_at", "version"]

    func validate() throws {
        var errors: [FieldError] = []
        if let message = UserRules.nameProblem(name) { errors.append(FieldError(field: "name", message: message)) }
        if let message = UserRules.emailProblem(email) { errors.append(FieldError(field: "email", message: message)) }
        if !errors.isEmpty { throw AppError.validation(errors) }
    }
}

/// `PATCH /users/{id}`: a merge patch of `name`, `email`, `role`, `active`.
struct UserPatch: Decodable {
    var name: String?
    var email: String?
    var role: Role?
    var active: Bool?
    var teamId: UUID??
    var dataScope: DataScope?

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        email = try container.decodeIfPresent(String.self, forKey: .email)
        role = try container.decodeIfPresent(Role.self, forKey: .role)
        active = try container.decodeIfPresent(Bool.self, forKey: .active)
        // Present and null: leave the team; absent: keep it.
        if container.contains(.teamId) { teamId = .some(try container.decodeIfPresent(UUID.self, forKey: .teamId)) }
        dataScope = try container.decodeIfPresent(DataScope.self, forKey: .dataScope)
    }

    enum CodingKeys: String, CodingKey {
        case name, email, role, active, teamId, dataScope
    }

    static let readOnly: Set<String> = ["id", "created_at", "updated_at", "version"]

    func validate() throws {
        var errors: [FieldError] = []
        if let name, let message = UserRules.nameProblem(name) {
            errors.append(FieldError(field: "name", message: message))
        }
        if let email, let message = UserRules.emailProblem(email) {
            errors.append(FieldError(field: "email", message: message))
        }
        if !errors.isEmpty { throw AppError.validation(errors) }
    }
}

enum UserRules {
    static func nameProblem(_ name: String) -> String? {
        let trimmed = name.trimmed()
        if trimmed.isEmpty { return "must not be empty" }
        if name.count > 200 { return "must be at most 200 characters" }
        return nil
    }

    /// The one email rule of the product.
    static func emailProblem(_ email: String) -> String? { EmailAddress.problem(email) }
}

/// An API key as listed (never with its secret).
public struct APIKey: Decodable, JSONMembers, Sendable {
    public let id: UUID
    public let userId: UUID
    public let name: String
    /// The literal start of the key, `ck_<id part>`, so a leaked key finds its record.
    public let prefix: String
    /// The key's own sustained limit; nil: the installation's (`CONCORD_RATE_LIMIT`).
    public let rateLimitPerSecond: Int?
    public let createdAt: Date
    public let lastUsedAt: Date?
    public let revokedAt: Date?
    public let version: Int

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("id", id)
        try object.member("user_id", userId)
        try object.member("name", name)
        try object.member("prefix", prefix)
        try object.member("rate_limit_per_second", rateLimitPerSecond)
        try object.member("created_at", createdAt)
        try object.member("last_used_at", lastUsedAt)
        try object.member("revoked_at", revokedAt)
        try object.member("version", version)
    }
}

/// What authentication reads for a presented key: its stored hash, whether it may still be used,
/// and who it acts for — only the columns a request needs, since this is read on every one.
/// A struct rather than a tuple: it passes through the pool's generic `read`, where a tuple is
/// copied element by element by the runtime.
struct Credential {
    let hash: [UInt8]
    let keyID: UUID
    let lastUsedAt: Date?
    let revokedAt: Date?
    let userID: UUID
    let name: String
    let email: String
    let role: Role
    let active: Bool
    let prefix: String
    let rateLimitPerSecond: Int?
    let teamID: UUID?
    let dataScope: DataScope

    var principal: Principal {
        Principal(
            userID: userID, apiKeyID: keyID, name: name, email: email, role: role, apiKeyPrefix: prefix,
            rateLimitPerSecond: rateLimitPerSecond, dataScope: dataScope, teamID: teamID)
    }
}

/// `POST /users/{id}/api-keys`, and what a `PATCH /users/{id}/api-keys/{key_id}` merge patch
/// produces: a label and, optionally, the key's own rate limit.
struct APIKeyInput: Codable {
    var name: String
    var rateLimitPerSecond: Int?

    static let readOnly: Set<String> = [
        "id", "prefix", "key", "user_id", "created_at", "updated_at", "last_used_at", "revoked_at", "version",
    ]
    /// The highest per-key limit, as for `CONCORD_RATE_LIMIT`.
    static let rateLimitRange = 1...1_000_000

    func validate() throws {
        var errors: [FieldError] = []
        if let message = UserRules.nameProblem(name) { errors.append(FieldError(field: "name", message: message)) }
        if let rate = rateLimitPerSecond, !Self.rateLimitRange.contains(rate) {
            errors.append(
                FieldError(
                    field: "rate_limit_per_second",
                    message:
                        "must be an integer from 1 to 1000000 (requests per second), or null for the installation's limit"
                ))
        }
        if !errors.isEmpty { throw AppError.validation(errors) }
    }
}

/// The one response that shows a key's secret.
struct IssuedAPIKey: Encodable {
    let id: UUID
    let userId: UUID
    let name: String
    let prefix: String
    let rateLimitPerSecond: Int?
    let key: String
    let createdAt: Date
}

/// The parts of `ck_<prefix>_<secret>`.
public struct APIKeyToken: Sendable {
    public let prefix: String
    public let secret: String

    /// Parses a presented key; nil when it is not shaped like one of ours.
    public init?(_ text: String) {
        // Byte checks: this runs on every request, and Character properties are Unicode lookups.
        let bytes = Array(text.utf8)
        let alnum: (ArraySlice<UInt8>) -> Bool = {
            $0.allSatisfy { (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) }
        }
        guard bytes.count >= 44, bytes.count <= 140, bytes[0] == UInt8(ascii: "c"), bytes[1] == UInt8(ascii: "k"),
            bytes[2] == UInt8(ascii: "_"), bytes[11] == UInt8(ascii: "_"),
            alnum(bytes[3..<11]), alnum(bytes[12...])
        else { return nil }
        prefix = String(decoding: bytes[3..<11], as: UTF8.self)
        secret = String(decoding: bytes[12...], as: UTF8.self)
    }

    init(prefix: String, secret: String) {
        self.prefix = prefix
        self.secret = secret
    }

    /// A fresh key: 8 random letters/digits of id, 40 of secret (about 238 bits).
    static func generate() -> APIKeyToken {
        APIKeyToken(prefix: Crypto.randomAlphanumeric(8), secret: Crypto.randomAlphanumeric(40))
    }

    public var text: String { "ck_\(prefix)_\(secret)" }

    /// What the API shows as a key's `prefix`: the literal start of the key.
    static func displayPrefix(_ idPart: String) -> String { "ck_\(idPart)" }
}
