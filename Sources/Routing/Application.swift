import Core
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
        router.isInline(method: head.method, path: head.path)
    }

    public func respond(to http: HTTPRequest) -> HTTPResponse {
        let requestID = RequestIDMiddleware.requestID(from: http.head.headers["X-Request-Id"])
        let segments = Self.segments(http.head.path)
        let query = QueryParameters(raw: http.head.query)
        var request = Request(
            http: http, segments: segments ?? [], query: query ?? QueryParameters(), requestID: requestID)
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
                    let unknown = request.query.names.subtracting(route.query).sorted()
                    if let name = unknown.first {
                        throw AppError(
                            .unknownParameter, "unknown query parameter '\(name)'",
                            errors: unknown.map { FieldError(field: $0, message: "is not a known parameter") })
                    }
                    return try route.handler(request)
                case .methodNotAllowed(let allowed, _):
                    if request.method == "OPTIONS" {
                        return Response(status: 204, headers: ["Allow": allowed.joined(separator: ", ")])
                    }
                    throw AppError(
                        .methodNotAllowed,
                        "\(request.method) is not supported here; use \(allowed.joined(separator: ", "))",
                        headers: [("Allow", allowed.joined(separator: ", "))])
                case .notFound:
                    throw AppError(.notFound, "no resource at this path")
                }
            }
        } catch {
            logger.error(
                "error escaped the middleware chain", metadata: ["request_id": "\(requestID)", "error": "\(error)"])
            response = AppError(.internalError, "an unexpected error occurred").response(requestID: requestID)
        }
        return HTTPResponse(status: response.status, headers: response.headers, body: response.body)
    }

    /// Splits the raw path and percent-decodes each segment; nil on a bad escape.
    /// A trailing slash is ignored; empty inner segments stay empty so they never match a
    /// `{parameter}`.
    static func segments(_ path: Substring) -> [String]? {
        path.withUTF8Bytes { bytes -> [String]? in
            let slash = UInt8(ascii: "/")
            var slashes = 0
            for byte in bytes where byte == slash { slashes += 1 }
            var result: [String] = []
            result.reserveCapacity(slashes)
            // Each piece ends at a slash or at the end; the piece before the first "/" is not a
            // segment (it is empty for every origin-form path), hence no start until then.
            var start: Int?
            for index in 0...bytes.count where index == bytes.count || bytes[index] == slash {
                if let start {
                    let segment = UnsafeBufferPointer(rebasing: bytes[start..<index])
                    if segment.contains(UInt8(ascii: "%")) {
                        guard
                            let decoded = PercentDecoding.decode(
                                Substring(decoding: segment, as: UTF8.self), plusIsSpace: false)
                        else {
                            return nil
                        }
                        result.append(decoded)
                    } else {
                        result.append(String(decoding: segment, as: UTF8.self))
                    }
                }
                start = index + 1
            }
            if result.count > 1, result.last!.isEmpty { result.removeLast() }
            if result.count == 1, result[0].isEmpty { return [] }
            return result
        }
    }
}
