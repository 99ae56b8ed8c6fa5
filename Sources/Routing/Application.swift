import HTTP
import Logging

/// Adapts the router and middleware to the HTTP server: decodes path and query, matches the
/// route, runs the middleware chain, and hands back one encoded response.
public final class Application: HTTPResponder {
    public let router: Router
    let middleware: [any Middleware]
    let logger: Logger

    /// `middleware` runs outermost first; put `RequestIDMiddleware`, access log, metrics, CORS and
    /// `ErrorMiddleware` in that order so every answer, errors included, is logged and counted.
    public init(router: Router, middleware: [any Middleware], logger: Logger) {
        self.router = router
        self.middleware = middleware
        self.logger = logger
    }

    public func respondsInline(to head: HTTPRequestHead) -> Bool {
        guard let segments = Self.segments(head.path),
              case .found(let route, _) = router.match(method: head.method, segments: segments) else { return false }
        return route.inline
    }

    public func respond(to http: HTTPRequest) -> HTTPResponse {
        let requestID = RequestIDMiddleware.requestID(from: http.head.headers["X-Request-Id"])
        let segments = Self.segments(http.head.path)
        let query = QueryParameters(raw: http.head.query)
        var request = Request(http: http, segments: segments ?? [], query: query ?? QueryParameters(), requestID: requestID)
        var failure: AppError?
        var match = Router.Match.notFound
        if segments == nil {
            failure = AppError(.badRequest, "the request path has an invalid percent-encoding")
        } else if query == nil {
            failure = AppError(.badRequest, "the query string has an invalid percent-encoding")
        } else {
            match = router.match(method: http.head.method, segments: request.segments)
        }
        switch match {
        case .found(let route, let parameters):
            request.route = route
            request.parameters = parameters
            request.routeTemplate = route.template
        case .methodNotAllowed(let allowed, let template):
            request.routeTemplate = template
            request.allowedMethods = allowed
        case .notFound:
            break
        }

        let response: Response
        do {
            response = try middleware.run(request) { request in
                if let failure { throw failure }
                switch match {
                case .found(let route, _):
                    let unknown = request.query.names.subtracting(route.query)
                    if let name = unknown.sorted().first {
                        throw AppError(.unknownParameter, "unknown query parameter '\(name)'",
                                       errors: unknown.sorted().map { FieldError(field: $0, message: "is not a known parameter") })
                    }
                    return try route.handler(request)
                case .methodNotAllowed(let allowed, _):
                    if request.method == "OPTIONS" {
                        return Response(status: 204, headers: ["Allow": allowed.joined(separator: ", ")])
                    }
                    throw AppError(.methodNotAllowed, "\(request.method) is not supported here; use \(allowed.joined(separator: ", "))",
                                   headers: [("Allow", allowed.joined(separator: ", "))])
                case .notFound:
                    throw AppError(.notFound, "no resource at this path")
                }
            }
        } catch {
            logger.error("error escaped the middleware chain", metadata: ["request_id": "\(requestID)", "error": "\(error)"])
            response = AppError(.internalError, "an unexpected error occurred").response(requestID: requestID)
        }
        return HTTPResponse(status: response.status, headers: response.headers, body: response.body)
    }

    /// Splits the raw path and percent-decodes each segment; nil on a bad escape.
    /// A trailing slash is ignored; empty inner segments stay empty so they never match a
    /// `{parameter}`.
    static func segments(_ path: Substring) -> [String]? {
        var raw = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        if raw.count > 1, raw.last == "" { raw = raw.dropLast() }
        if raw.count == 1, raw.first == "" { return [] }
        var result: [String] = []
        result.reserveCapacity(raw.count)
        for segment in raw {
            guard let decoded = PercentDecoding.decode(segment, plusIsSpace: false) else { return nil }
            result.append(decoded)
        }
        return result
    }
}
