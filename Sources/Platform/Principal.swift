import Foundation
import Core
import Routing

/// Who is calling: the user behind the API key, with their role.
public struct Principal: Sendable {
    public let userID: UUID
    public let apiKeyID: UUID
    public let name: String
    public let email: String
    public let role: Role

    public init(userID: UUID, apiKeyID: UUID, name: String, email: String, role: Role) {
        self.userID = userID
        self.apiKeyID = apiKeyID
        self.name = name
        self.email = email
        self.role = role
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
