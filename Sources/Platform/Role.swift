import Core

/// A user's one role (API.md "Auth").
public enum Role: String, Sendable, Codable, CaseIterable {
    case admin, sales, warehouse, finance, readonly
}

/// The one table of who may do what. Each module declares its permissions, with the roles
/// that hold them, when it registers its routes; a route naming an undeclared permission stops
/// start-up, so no endpoint exists without a decision about access. `admin` holds everything.
public final class PermissionTable: @unchecked Sendable {
    private var grants: [String: Set<Role>] = [:]
    private var frozen = false

    public init() {}

    /// Declares `permission` and the roles (besides admin) that hold it.
    public func declare(_ permission: String, roles: Set<Role>) {
        precondition(!frozen, "permissions are declared while wiring, before serving")
        precondition(grants[permission] == nil, "permission \(permission) declared twice")
        grants[permission] = roles.union([.admin])
    }

    /// Stops further declarations; checks happen without locks afterwards.
    public func freeze() { frozen = true }

    public func isDeclared(_ permission: String) -> Bool { grants[permission] != nil }

    public func allows(_ role: Role, _ permission: String) -> Bool {
        grants[permission]?.contains(role) ?? false
    }

    /// Throws the same 403 the auth middleware gives when `principal`'s role lacks `permission`:
    /// for rights inside an endpoint (setting a price, overriding a credit limit).
    public func require(_ permission: String, for principal: Principal) throws {
        guard allows(principal.role, permission) else {
            throw AppError(
                .forbidden, "the role '\(principal.role.rawValue)' lacks the permission '\(permission)'",
                extra: JSONObject([("permission", .string(permission))]))
        }
    }

    /// Every permission with its roles, for tests and documentation.
    public var all: [(permission: String, roles: Set<Role>)] {
        grants.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}
