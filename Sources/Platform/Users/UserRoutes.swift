import Core
import FoundationEssentials
import Routing

/// `/users`, `/users/{id}/history`, `/users/{id}/api-keys`, `/api-keys`, `/me`.
public struct UserRoutes: ModuleRoutes {
    /// The module's own problem codes, for the application's `ProblemRegistry`.
    public static let problemCodes: [ProblemCode] = [.duplicateUser]

    let service: UserService

    public init(service: UserService) { self.service = service }

    public func register(in router: inout RouterBuilder, permissions: PermissionTable) {
        // Users and keys are admin-only (API.md "Auth"); `/me` is for every role.
        permissions.declare("users.read", roles: [])
        permissions.declare("users.write", roles: [])
        permissions.declare("me.read", roles: Set(Role.allCases))
        // Costs and margins (API.md "Permissions"): without it they read null, and cost reports are 403.
        permissions.declare(SensitiveFields.costsPermission, roles: [.finance, .warehouse])
        let service = self.service
        let events = service.events

        router.get("/me", access: .permission("me.read")) { request in
            let principal = try request.principal()
            return try .json(
                Me(
                    id: principal.userID, name: principal.name, email: principal.email, role: principal.role,
                    apiKeyId: principal.apiKeyID, apiKeyPrefix: principal.apiKeyPrefix, teamId: principal.scope.teamID,
                    dataScope: principal.scope.reach,
                    permissions: permissions.held(by: principal)))
        }
        router.post("/users", access: .permission("users.write")) { request in
            let input = try request.decode(UserCreate.self, readOnly: UserCreate.readOnly)
            let user = try service.createUser(input, actor: try request.principal())
            return try .created(
                user, location: "/users/\(user.id.uuidString.lowercased())",
                headers: ["ETag": Versioning.etag(user.version)])
        }
        router.get("/users", access: .permission("users.read"), query: PageRequest.parameters) { request in
            try .json(service.listUsers(try PageRequest(request)))
        }
        router.record("/users/{id}", read: "users.read", key: RecordKey.uuid("user"), get: service.user)
        EventRoutes.history(
            for: "user", template: "/users/{id}/history", permission: "users.read", events: events,
            resolve: { request in
                let id = try request.uuidParameter("id", resource: "user")
                _ = try service.user(id)  // 404 for a user that does not exist
                return id
            }, in: &router)
        router.patch("/users/{id}", access: .permission("users.write")) { request in
            let patch = try request.decode(UserPatch.self, readOnly: UserPatch.readOnly)
            let user = try service.updateUser(
                try request.uuidParameter("id", resource: "user"), patch: patch,
                ifMatch: Versioning.ifMatch(request),
                actor: try request.principal())
            return try Versioning.respond(request, user, version: user.version)
        }
        router.post("/users/{id}/api-keys", access: .permission("users.write")) { request in
            let input = try request.decode(APIKeyInput.self, readOnly: APIKeyInput.readOnly)
            let issued = try service.issueKey(
                userID: try request.uuidParameter("id", resource: "user"), input,
                actor: try request.principal())
            return try .created(issued, location: "/api-keys/\(issued.id.uuidString.lowercased())")
        }
        router.patch("/users/{id}/api-keys/{key_id}", access: .permission("users.write")) { request in
            let patch = try request.mergePatchBody(readOnly: APIKeyInput.readOnly)
            let key = try service.updateKey(
                userID: try request.uuidParameter("id", resource: "user"),
                keyID: try request.uuidParameter("key_id", resource: "API key"), patch: patch,
                ifMatch: Versioning.ifMatch(request),
                actor: try request.principal())
            return try Versioning.respond(request, key, version: key.version)
        }
        router.get(
            "/api-keys", access: .permission("users.read"), query: PageRequest.parameters.union(["user_id", "prefix"])
        ) { request in
            try .json(
                service.listKeys(
                    try PageRequest(request, filters: ["user_id", "prefix"]), userID: try request.query.uuid("user_id"),
                    prefix: try request.query.string("prefix")))
        }
        router.record("/api-keys/{id}", read: "users.read", key: RecordKey.uuid("API key"), get: service.key)
        router.delete("/api-keys/{id}", access: .permission("users.write")) { request in
            try service.revokeKey(
                try request.uuidParameter("id", resource: "API key"),
                ifMatch: Versioning.ifMatch(request), actor: try request.principal())
            return .noContent
        }
    }
}

/// `GET /me`.
struct Me: JSONMembers {
    let id: UUID
    let name: String
    let email: String
    let role: Role
    let apiKeyId: UUID
    let apiKeyPrefix: String?
    let teamId: UUID?
    /// `own`, `team` or `all` (always `all` for an admin).
    let dataScope: DataScope
    /// Every permission the role holds, sorted (a JSON array of strings).
    let permissions: EncodedJSON

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("id", id)
        try object.member("name", name)
        try object.member("email", email)
        try object.member("role", role)
        try object.member("api_key_id", apiKeyId)
        try object.member("api_key_prefix", apiKeyPrefix)
        try object.member("team_id", teamId)
        try object.member("data_scope", dataScope)
        try object.member("permissions", permissions)
    }
}

/// Answered with its version as ETag.
extension User: VersionedRecord {}
extension APIKey: VersionedRecord {}
