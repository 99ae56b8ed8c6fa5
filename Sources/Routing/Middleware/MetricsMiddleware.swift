import Core
import Dispatch
import FoundationEssentials

/// Counts and times every request by method, route template and status.
public struct MetricsMiddleware: Middleware {
    let metrics: Metrics

    public init(metrics: Metrics) { self.metrics = metrics }

    public func handle(_ request: Request, next: (Request) throws -> Response) throws -> Response {
        let started = DispatchTime.now().uptimeNanoseconds
        metrics.requestStarted()
        defer { metrics.requestFinished() }
        let response = try next(request)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        metrics.observe(
            method: request.method, route: request.routeTemplate ?? "unmatched", status: response.status,
            seconds: seconds)
        return response
    }
}
