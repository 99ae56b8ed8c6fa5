import Foundation
import Logging

/// One line per request: method, route template, status, bytes, duration, request id.
public struct AccessLogMiddleware: Middleware {
    let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    public func handle(_ request: Request, next: (Request) throws -> Response) throws -> Response {
        let started = DispatchTime.now().uptimeNanoseconds
        let response = try next(request)
        let millis = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
        if logger.logLevel <= .info {
            logger.info("request", metadata: [
                "method": "\(request.method)",
                "route": "\(request.routeTemplate ?? "unmatched")",
                "status": "\(response.status)",
                "bytes": "\(response.body.count)",
                "duration_ms": "\((millis * 1000).rounded() / 1000)",
                "request_id": "\(request.requestID)",
            ])
        }
        return response
    }
}
