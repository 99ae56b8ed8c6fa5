import Core
import Logging

/// Turns every thrown error into problem+json. An `AppError` renders itself; anything else is a
/// 500 that carries only the request id, while the log gets the whole error.
public struct ErrorMiddleware: Middleware {
    let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    public func handle(_ request: Request, next: (Request) throws -> Response) throws -> Response {
        do {
            return try next(request)
        } catch let error as AppError {
            return error.response(requestID: request.requestID)
        } catch let error as any ProblemConvertible {
            return error.problem.response(requestID: request.requestID)
        } catch {
            logger.error(
                "unhandled error",
                metadata: [
                    "request_id": "\(request.requestID)", "route": "\(request.routeTemplate ?? "-")",
                    "error": "\(String(reflecting: error))",
                ])
            return AppError(.internalError, "an unexpected error occurred; quote the request id when reporting it")
                .response(requestID: request.requestID)
        }
    }
}
