import Foundation
import HTTP
import Logging

/// A webhook receiver on loopback for tests: Concord's own HTTP server with a responder that
/// records every request and answers with the status `answer` picks (by request count).
public final class WebhookReceiver: HTTPResponder, @unchecked Sendable {
    public struct Received: Sendable {
        public let headers: [(String, String)]
        public let body: [UInt8]
        public func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
        public var json: String { String(decoding: body, as: UTF8.self) }
    }

    private let lock = NSLock()
    private var received: [Received] = []
    private let answer: @Sendable (Int) -> Int
    private var server: HTTPServer!

    /// `answer(n)` is the status for the n-th request (0-based); 200 by default.
    public init(answer: @escaping @Sendable (Int) -> Int = { _ in 200 }) throws {
        self.answer = answer
        var logger = Logger(label: "receiver")
        logger.logLevel = .critical
        server = HTTPServer(
            configuration: ServerConfiguration(host: "127.0.0.1", port: 0, workers: 4), responder: self, logger: logger)
        try server.start()
    }

    public var url: String { "http://127.0.0.1:\(server.port)/hook" }

    public var requests: [Received] {
        lock.lock()
        defer { lock.unlock() }
        return received
    }

    public func respond(to request: HTTPRequest) -> HTTPResponse {
        lock.lock()
        let index = received.count
        received.append(Received(headers: request.head.headers.map { ($0.0, $0.1) }, body: request.body))
        lock.unlock()
        return HTTPResponse(status: answer(index), body: Array("ok".utf8))
    }

    public func stop() {
        server.shutdown()
        server.waitUntilStopped()
    }
}
