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
    /// Permissions that also need the data scope `all` (they show every record's changes).
    private var unscopedOnly: Set<String> = []
    private var frozen = false
    /// What `held(by:)` answers, sorted and written as JSON once at `freeze()`: per role, the
    /// permissions it holds and, apart, those a narrowed data scope still keeps. `GET /me` lists
    /// them on every call; sorting the hundred-odd names per request was a third of its cost,
    /// and encoding them again a third of what was left.
    private var heldByRole: [Role: (everything: EncodedJSON, narrowed: EncodedJSON)] = [:]

    public init() {}

    /// Declares `permission` and the roles (besides admin) that hold it. `needsAllScope`: a
    /// user whose data scope is narrowed (`own`, `team`) lacks it whatever their role, for
    /// views across every record (the event feed, the audit trail, webhooks).
    public func declare(_ permission: String, roles: Set<Role>, needsAllScope: Bool = false) {
        precondition(!frozen, "permissions are declared while wiring, before serving")
        precondition(grants[permission] == nil, "permission \(permission) declared twice")
        grants[permission] = roles.union([.admin])
        if needsAllScope { unscopedOnly.insert(permission) }
    }

    /// Stops further declarations; checks happen without locks afterwards.
    public func freeze() {
        let names = grants.keys.sorted()
        for role in Role.allCases {
            let everything = names.filter { grants[$0]!.contains(role) }
            heldByRole[role] = (
                Self.encoded(everything), Self.encoded(everything.filter { !unscopedOnly.contains($0) })
            )
        }
        frozen = true
    }

    /// The permissions `principal` holds (role and data scope), sorted, as the JSON array
    /// `GET /me` writes.
    public func held(by principal: Principal) -> EncodedJSON {
        guard frozen, let held = heldByRole[principal.role] else {
            return Self.encoded(all.map(\.permission).filter { allows(principal, $0) })
        }
        return principal.scope.seesEverything ? held.everything : held.narrowed
    }

    private static func encoded(_ permissions: [String]) -> EncodedJSON {
        EncodedJSON(.array(permissions.map { .string($0) }))
    }

    public func isDeclared(_ permission: String) -> Bool { grants[permission] != nil }

    public func allows(_ role: Role, _ permission: String) -> Bool {
        grants[permission]?.contains(role) ?? false
    }

    /// Whether `principal` holds `permission`: their role has it and, for a permission that
    /// needs it, their data scope is `all`.
    public func allows(_ principal: Principal, _ permission: String) -> Bool {
        allows(principal.role, permission) && (principal.scope.seesEverything || !unscopedOnly.contains(permission))
    }

    /// Why `principal` lacks `permission`, for the 403's detail.
    public func refusal(_ principal: Principal, _ permission: String) -> AppError {
        let detail =
            allows(principal.role, permission)
            ? "'\(permission)' needs the data scope 'all'; this user's is '\(principal.scope.reach.rawValue)'"
            : "the role '\(principal.role.rawValue)' lacks the permission '\(permission)'"
        return AppError(.forbidden, detail, extra: JSONObject([("permission", .string(permission))]))
    }

    /// Throws the same 403 the auth middleware gives when `principal`'s role lacks `permission`:
    /// for rights inside an endpoint (setting a price, overriding a credit limit).
    public func require(_ permission: String, for principal: Principal) throws {
        guard allows(principal, permission) else { throw refusal(principal, permission) }
    }

    /// Every permission with its roles, for tests and documentation.
    public var all: [(permission: String, roles: Set<Role>)] {
        grants.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}
