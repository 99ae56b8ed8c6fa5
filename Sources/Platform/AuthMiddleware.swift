import Core
import FoundationEssentials
import HTTP
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
        guard let route = request.route, case .permission(let permission) = route.access else {
            return try next(request)
        }
        guard let header = request.headers["Authorization"] else {
            throw AppError(
                .unauthorized, "send an API key as 'Authorization: Bearer <key>'",
                headers: [("WWW-Authenticate", "Bearer realm=\"concord\"")])
        }
        guard let presented = Self.bearerToken(header), let principal = try users.authenticate(presented) else {
            throw AppError(
                .unauthorized, "the API key is not valid, was revoked, or belongs to a deactivated user",
                headers: [("WWW-Authenticate", "Bearer realm=\"concord\", error=\"invalid_token\"")])
        }
        guard permissions.allows(principal, permission) else { throw permissions.refusal(principal, permission) }
        var authenticated = request
        authenticated[PrincipalKey.self] = principal
        // The caller's data scope and cost grant hold for everything this request reads and
        // encodes (RecordScope, Cost).
        return try RecordScope.$current.withValue(principal.scope) {
            try SensitiveFields.$costsVisible.withValue(
                permissions.allows(principal.role, SensitiveFields.costsPermission)
            ) { try next(authenticated) }
        }
    }

    /// The credentials of `Bearer <token>` (the scheme is case-insensitive, RFC 9110 §11.1).
    static func bearerToken(_ header: String) -> String? {
        let utf8 = header.utf8
        guard utf8.count > 7, let space = utf8.firstIndex(of: UInt8(ascii: " ")),
            header[..<space].equalsIgnoringASCIICase("bearer")
        else { return nil }
        let token = header[space...].drop { $0 == " " || $0 == "\t" }
        return token.isEmpty ? nil : String(token)
    }
}
