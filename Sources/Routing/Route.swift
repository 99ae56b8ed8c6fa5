/// Who may call a route. Every route declares it when registered, so no endpoint can exist
/// without a decision about access; the auth middleware enforces it.
public enum RouteAccess: Sendable, Equatable {
    /// No credentials needed (`/healthz`, `/metrics`, `/openapi.yaml`, …).
    case open
    /// An API key whose role grants this permission (`customers.write`).
    case permission(String)
}

/// A handler: synchronous, may block on the database; throws `AppError` for problems.
public typealias Handler = @Sendable (Request) throws -> Response

/// One registered endpoint. A class, so the per-request copies of a matched route (request,
/// match result, middleware) are one reference, not five.
public final class Route: Sendable {
    public let method: String
    public let template: String
    public let access: RouteAccess
    /// Query parameter names the route accepts; any other is a 400 (it is usually a typo).
    public let query: Set<String>
    /// Answered on the I/O thread: only for handlers that never block.
    public let inline: Bool
    let handler: Handler

    init(
        method: String, template: String, access: RouteAccess, query: Set<String>, inline: Bool,
        handler: @escaping Handler
    ) {
        self.method = method
        self.template = template
        self.access = access
        self.query = query
        self.inline = inline
        self.handler = handler
    }
}
