import Foundation
import Routing

/// Authenticates `Authorization: Bearer <key>` on every route that names a permission and
/// checks the caller's role against the permission table: 401 with `WWW-Authenticate` for a
/// missing, unknown or revoked key; 403 naming the permission the role lacks.
public struct AuthMiddleware: Middleware {
    let users: UserService
    let permissions: PermissionTable

    public init(users: UserService, permissions: PermissionTable) {
        self.users = users
        self.permissions = permissions
    }

    public func handle(_ request: Request, next: (Request) throws -> Response) throws -> Response {
        guard let route = request.route, case .permission(let permission) = route.access else { return try next(request) }
        guard let header = request.headers["Authorization"] else {
            throw AppError(.unauthorized, "send an API key as 'Authorization: Bearer <key>'",
                           headers: [("WWW-Authenticate", "Bearer realm=\"concord\"")])
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer",
              let principal = try users.authenticate(String(parts[1].drop(while: { $0 == " " || $0 == "\t" }))) else {
            throw AppError(.unauthorized, "the API key is not valid, was revoked, or belongs to a deactivated user",
                           headers: [("WWW-Authenticate", "Bearer realm=\"concord\", error=\"invalid_token\"")])
        }
        guard permissions.allows(principal.role, permission) else {
            throw AppError(.forbidden, "the role '\(principal.role.rawValue)' lacks the permission '\(permission)'",
                           extra: JSONObject([("permission", .string(permission))]))
        }
        var authenticated = request
        authenticated[PrincipalKey.self] = principal
        return try next(authenticated)
    }
}
