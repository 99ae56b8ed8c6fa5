/// CORS for the configured origins (Fetch standard), with preflight. Only listed origins get
/// `Access-Control-Allow-Origin`; others get no CORS headers and the browser blocks them.
public struct CORSMiddleware: Middleware {
    let origins: Set<String>
    let allowAny: Bool

    static let exposed =
        "ETag, Location, Retry-After, X-Request-Id, Idempotent-Replayed, RateLimit-Policy, RateLimit, Concord-Consistency"
    static let allowedHeaders =
        "Authorization, Content-Type, Concord-Consistency, Idempotency-Key, If-Match, If-None-Match, X-Request-Id"

    /// `origins` as configured; `*` allows every origin.
    public init(origins: [String]) {
        self.origins = Set(origins)
        allowAny = origins.contains("*")
    }

    public func handle(_ request: Request, next: (Request) throws -> Response) throws -> Response {
        guard let origin = request.headers["Origin"], allowAny || origins.contains(origin) else {
            return try next(request)
        }
        if request.method == "OPTIONS", let wanted = request.headers["Access-Control-Request-Method"] {
            var response = Response(status: 204)
            let allowed = allowedMethods(request)
            response.headers.set("Access-Control-Allow-Origin", origin)
            response.headers.set(
                "Access-Control-Allow-Methods", allowed.isEmpty ? wanted : allowed.joined(separator: ", "))
            response.headers.set("Access-Control-Allow-Headers", Self.allowedHeaders)
            response.headers.set("Access-Control-Max-Age", "600")
            response.headers.set("Vary", "Origin")
            return response
        }
        var response = try next(request)
        response.headers.set("Access-Control-Allow-Origin", origin)
        response.headers.set("Access-Control-Expose-Headers", Self.exposed)
        response.headers.add("Vary", "Origin")
        return response
    }

    private func allowedMethods(_ request: Request) -> [String] {
        request.allowedMethods
    }
}
