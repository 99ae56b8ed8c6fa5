import Core
import FoundationEssentials
import Routing

/// Who is calling: the user behind the API key, with their role.
public struct Principal: Sendable {
    public let userID: UUID
    public let apiKeyID: UUID
    public let name: String
    public let email: String
    public let role: Role
    /// `ck_<id part>` of the key in use (nil for principals made outside a request).
    public let apiKeyPrefix: String?
    /// The key's own requests per second; nil: the installation's limit.
    public let rateLimitPerSecond: Int?
    /// The records the caller sees (an admin always sees everything).
    public let scope: RecordScope

    public init(
        userID: UUID, apiKeyID: UUID, name: String, email: String, role: Role, apiKeyPrefix: String? = nil,
        rateLimitPerSecond: Int? = nil, dataScope: DataScope = .all, teamID: UUID? = nil
    ) {
        self.userID = userID
        self.apiKeyID = apiKeyID
        self.name = name
        self.email = email
        self.role = role
        self.apiKeyPrefix = apiKeyPrefix
        self.rateLimitPerSecond = rateLimitPerSecond
        scope = RecordScope(reach: role == .admin ? .all : dataScope, userID: userID, teamID: teamID)
    }
}

/// The authenticated principal of a request (set by `AuthMiddleware`).
public enum PrincipalKey: RequestContextKey {
    public typealias Value = Principal
}

extension Request {
    /// The caller; routes behind a permission always have one.
    public func principal() throws -> Principal {
        guard let principal = self[PrincipalKey.self] else { throw AppError(.unauthorized, "an API key is required") }
        return principal
    }
}
