/// One step around every request: do something before, call `next`, do something after.
/// Errors thrown by `next` pass through unless the middleware handles them.
public protocol Middleware: Sendable {
    func handle(_ request: Request, next: (Request) throws -> Response) throws -> Response
}

extension Array where Element == any Middleware {
    /// Runs the chain in order around `endpoint`.
    func run(_ request: Request, endpoint: (Request) throws -> Response) throws -> Response {
        try run(from: startIndex, request, endpoint)
    }

    private func run(from index: Int, _ request: Request, _ endpoint: (Request) throws -> Response) throws -> Response {
        guard index < endIndex else { return try endpoint(request) }
        return try self[index].handle(request) { next in try run(from: index + 1, next, endpoint) }
    }
}
