import Foundation
import Logging

/// One line per request: method, route template, status, bytes, duration, request id.
/// Probe routes (`quietRoutes`, polled every few seconds by load balancers and orchestrators)
/// are logged at debug, so they do not drown the requests people make.
public struct AccessLogMiddleware: Middleware {
    let logger: Logger
    let quietRoutes: Set<String>

    public init(logger: Logger, quietRoutes: Set<String> = ["/healthz", "/livez", "/readyz", "/metrics"]) {
        self.logger = logger
        self.quietRoutes = quietRoutes
    }

    public func handle(_ request: Request, next: (Request) throws -> Response) throws -> Response {
        let started = DispatchTime.now().uptimeNanoseconds
        let response = try next(request)
        let millis = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
        let level: Logger.Level = quietRoutes.contains(request.routeTemplate ?? "") ? .debug : .info
        if logger.logLevel <= level {
            // Plain strings, not interpolations: this runs for every request.
            logger.log(level: level, "request", metadata: [
                "method": .string(request.method),
                "route": .string(request.routeTemplate ?? "unmatched"),
                "status": .string(String(response.status)),
                "bytes": .string(String(response.body.count)),
                "duration_ms": .string(String((millis * 1000).rounded() / 1000)),
                "request_id": .string(request.requestID),
            ])
        }
        return response
    }
}
