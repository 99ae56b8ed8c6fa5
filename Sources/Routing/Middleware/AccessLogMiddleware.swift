import Core
import Dispatch
import FoundationEssentials
import Logging

/// One access-log record: what the line for a request says.
public struct AccessRecord: Sendable, Equatable {
    public var level: Logger.Level
    public var method: String
    /// The matched route's template (`/customers/{id}`), or `unmatched`.
    public var route: String
    public var status: Int
    public var bytes: Int
    /// Rounded to the microsecond.
    public var durationMilliseconds: Double
    public var requestID: String

    public static let message: Logger.Message = "request"

    public init(
        level: Logger.Level, method: String, route: String, status: Int, bytes: Int,
        durationMilliseconds: Double, requestID: String
    ) {
        self.level = level
        self.method = method
        self.route = route
        self.status = status
        self.bytes = bytes
        self.durationMilliseconds = durationMilliseconds
        self.requestID = requestID
    }

    /// The line's fields as text, sorted by name (the order log lines write metadata in).
    public var fields: [(name: String, value: String)] {
        [
            ("bytes", String(bytes)), ("duration_ms", String(durationMilliseconds)), ("method", method),
            ("request_id", requestID), ("route", route), ("status", String(status)),
        ]
    }

    /// The fields whose values are numbers (JSON log lines write them unquoted).
    public static let numericFields: Set<String> = ["bytes", "duration_ms", "status"]

    /// The record as swift-log metadata, for handlers that take it that way: numbers as numbers.
    public var metadata: Logger.Metadata {
        [
            "bytes": .stringConvertible(bytes), "duration_ms": .stringConvertible(durationMilliseconds),
            "method": .string(method),
            "request_id": .string(requestID), "route": .string(route), "status": .stringConvertible(status),
        ]
    }
}

/// One line per request: method, route template, status, bytes, duration, request id.
/// Probe routes (`quietRoutes`, polled every few seconds by load balancers and orchestrators)
/// are logged at debug, so they do not drown the requests people make.
public struct AccessLogMiddleware: Middleware {
    public typealias Sink = @Sendable (AccessRecord) -> Void

    let logger: Logger
    let quietRoutes: Set<String>
    let sink: Sink?

    /// - Parameter sink: writes the record itself instead of handing `logger` a metadata
    ///   dictionary (building, hashing and sorting one costs more than the rest of a small
    ///   request's logging); the App passes one when its own handler does the writing.
    public init(
        logger: Logger, quietRoutes: Set<String> = ["/healthz", "/livez", "/readyz", "/metrics"], sink: Sink? = nil
    ) {
        self.logger = logger
        self.quietRoutes = quietRoutes
        self.sink = sink
    }

    public func handle(_ request: Request, next: (Request) throws -> Response) throws -> Response {
        let started = DispatchTime.now().uptimeNanoseconds
        let response = try next(request)
        let millis = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
        let level: Logger.Level = quietRoutes.contains(request.routeTemplate ?? "") ? .debug : .info
        if logger.logLevel <= level {
            let record = AccessRecord(
                level: level, method: request.method, route: request.routeTemplate ?? "unmatched",
                status: response.status, bytes: response.body.count,
                durationMilliseconds: (millis * 1000).rounded() / 1000, requestID: request.requestID)
            if let sink {
                sink(record)
            } else {
                logger.log(level: level, AccessRecord.message, metadata: record.metadata)
            }
        }
        return response
    }
}
