import Foundation
import Routing

/// `GET /events`: the ordered feed for integrators.
public struct EventRoutes: Sendable {
    let events: EventLog

    public init(events: EventLog) { self.events = events }

    public func register(in router: inout RouterBuilder, permissions: PermissionTable) {
        permissions.declare("events.read", roles: [.finance, .readonly])
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
    }

    /// A `GET /<things>/{id}/history` route for a module's resource, behind its read permission.
    public static func history(for resourceType: String, template: String, permission: String, events: EventLog,
                               resolve: @escaping @Sendable (Request) throws -> UUID, in router: inout RouterBuilder) {
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
