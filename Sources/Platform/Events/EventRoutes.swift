import Core
import FoundationEssentials
import Routing

/// `GET /events`: the ordered feed for integrators.
public struct EventRoutes: ModuleRoutes {
    let events: EventLog

    public init(events: EventLog) { self.events = events }

    public func register(in router: inout RouterBuilder, permissions: PermissionTable) {
        permissions.declare("events.read", roles: [.finance, .readonly], needsAllScope: true)
        // The audit trail names people and keys: admins only.
        permissions.declare("audit.read", roles: [], needsAllScope: true)
        let events = self.events
        router.get("/events", access: .permission("events.read"), query: ["after", "types", "limit"]) { request in
            let after = try request.query.int64("after") ?? 0
            guard after >= 0 else { throw AppError.invalidParameter("after", "must be 0 or more") }
            // The list convention (API.md "Lists"): 50 by default, at most 200.
            let limit = try request.query.int("limit") ?? 50
            guard limit >= 1 else { throw AppError.invalidParameter("limit", "must be at least 1") }
            let page = try events.feed(after: after, types: request.query.list("types"), limit: min(limit, 200))
            return try .json(EventFeed(data: page, nextAfter: page.last?.sequence ?? after))
        }
        Self.registerAudit(events: events, in: &router)
    }

    /// `GET /audit`.
    static func registerAudit(events: EventLog, in router: inout RouterBuilder) {
        let filters = ["user_id", "api_key_id", "resource", "resource_id", "action", "from", "to", "sort"]
        router.get("/audit", access: .permission("audit.read"), query: PageRequest.parameters.union(filters)) {
            request in
            var filter = AuditFilter()
            filter.userID = try request.query.uuid("user_id")
            filter.apiKeyID = try request.query.uuid("api_key_id")
            filter.resourceType = try request.query.string("resource")
            filter.resourceID = try request.query.uuid("resource_id")
            filter.type = try request.query.string("action")
            filter.from = try request.query.timestamp("from")
            filter.to = try request.query.timestamp("to")
            filter.descending = try request.query.sort(["occurred_at"])?.descending ?? false
            return try .json(events.audit(filter, page: try PageRequest(request, filters: filters)))
        }
    }

    /// A `GET /<things>/{id}/history` route for a module's resource, behind its read permission.
    public static func history(
        for resourceType: String, template: String, permission: String, events: EventLog,
        resolve: @escaping @Sendable (Request) throws -> UUID, in router: inout RouterBuilder
    ) {
        router.get(template, access: .permission(permission)) { request in
            let id = try resolve(request)
            return try .json(HistoryList(data: try events.history(resourceType: resourceType, resourceID: id)))
        }
    }
}

/// `{"data": [...], "next_after": N}`: poll again with `after=next_after`.
struct EventFeed: Encodable {
    let data: [Event]
    let nextAfter: Int64
}

struct HistoryList: Encodable {
    let data: [Event]
}
