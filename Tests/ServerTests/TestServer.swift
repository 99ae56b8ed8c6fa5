import Core
import Foundation
import HTTP
import Logging
import Routing

/// A server on a free loopback port with routes made for exercising the protocol: echo, slow,
/// and a status mirror. Stopped by `stop()` (or at deinit).
final class TestServer: @unchecked Sendable {
    let server: HTTPServer
    var port: Int { server.port }
    /// Holds requests to `/held` on their worker until the test opens it.
    let gate: Gate

    init(configure: (inout ServerConfiguration) -> Void = { _ in }, host: String = "127.0.0.1") throws {
        let gate = Gate()
        self.gate = gate
        var configuration = ServerConfiguration(host: host, port: 0, workers: 4, queueCapacity: 64)
        configure(&configuration)
        var router = RouterBuilder()
        router.post("/echo", access: .open) { request in
            Response(status: 200, headers: ["Content-Type": "application/octet-stream"], body: request.body)
        }
        router.get("/echo/{word}", access: .open, query: ["n"]) { request in
            .text(request.parameter("word") + (request.query.values("n").map { "," + $0 }.joined()))
        }
        router.get("/slow", access: .open, query: ["ms"]) { request in
            let ms = try request.query.int("ms") ?? 500
            usleep(UInt32(ms) * 1_000)
            return .text("slept \(ms)")
        }
        router.get("/fast", access: .open, inline: true) { _ in .text("fast") }
        router.get("/held", access: .open) { _ in
            gate.pass()
            return .text("held")
        }
        router.get("/big", access: .open, query: ["bytes"]) { request in
            let count = try request.query.int("bytes") ?? 1_000_000
            return Response(
                status: 200, headers: ["Content-Type": "application/octet-stream"],
                body: (0..<count).map { UInt8(truncatingIfNeeded: $0 % 251) })
        }
        // The scheduling policy of the thread that ran the handler (sched_getscheduler(2)):
        // /policy runs on a worker, /policy/inline on an IO thread.
        router.get("/policy", access: .open) { _ in .text("\(sched_getscheduler(0))") }
        router.get("/policy/inline", access: .open, inline: true) { _ in .text("\(sched_getscheduler(0))") }
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let application = Application(
            router: router.build(),
            middleware: [
                RequestIDMiddleware(), ErrorMiddleware(logger: logger),
            ], logger: logger)
        server = HTTPServer(configuration: configuration, responder: application, logger: logger)
        try server.start()
    }

    func stop() {
        gate.open()
        server.shutdown()
        server.waitUntilStopped()
    }

    deinit { stop() }
}

/// Where `/held` requests wait: a test knows a worker has the request (`waitForArrivals`) and
/// decides when it finishes (`open`), instead of guessing with sleeps.
final class Gate: @unchecked Sendable {
    /// Guards `arrived` and `isOpen`.
    private let condition = NSCondition()
    private var arrived = 0
    private var isOpen = false

    func pass() {
        condition.lock()
        arrived += 1
        condition.broadcast()
        while !isOpen { condition.wait() }
        condition.unlock()
    }

    /// True once `count` requests have reached the gate; false after `timeout` seconds.
    func waitForArrivals(_ count: Int, timeout: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while arrived < count {
            if !condition.wait(until: deadline) { return arrived >= count }
        }
        return true
    }

    func open() {
        condition.lock()
        isOpen = true
        condition.broadcast()
        condition.unlock()
    }
}
