import Foundation
import HTTP
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Timeouts, connection and queue limits, and graceful shutdown, over real sockets.
@Suite struct LimitsTests {
    @Test func slowlorisConnection_isClosedOnTime_whileOthersAreServed() throws {
        let server = try TestServer { $0.headerReadTimeout = 1 }
        let slow = try RawClient(port: server.port, timeout: 5)
        let started = Date()
        try slow.send("GET /fast HTTP/1.1\r\n")
        // Keep trickling header bytes: progress must not extend the head deadline.
        for index in 0..<4 {
            try? slow.send("X-\(index): y\r\n")
            let other = try RawClient(port: server.port)
            try other.send("GET /echo/ok HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try other.readResponse().text == "ok")
            usleep(200_000)
        }
        let response = try slow.readResponse()
        #expect(response.status == 408)
        #expect(slow.isClosedByPeer())
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed >= 0.9 && elapsed < 3, "closed after \(elapsed) s")
    }

    /// `/fast` is answered on the I/O thread, `/echo/x` by a worker writing to the socket itself.
    @Test(arguments: ["/fast", "/echo/x"])
    func idleKeepAliveConnection_isClosedAfterIdleTimeout(path: String) throws {
        let server = try TestServer { $0.idleTimeout = 1 }
        let client = try RawClient(port: server.port, timeout: 4)
        try client.send("GET \(path) HTTP/1.1\r\nHost: t\r\n\r\n")
        _ = try client.readResponse()
        let started = Date()
        #expect(client.isClosedByPeer())
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed >= 0.8 && elapsed < 3, "closed after \(elapsed) s")
    }

    @Test func connectionsPastTheMaximum_get503AndClose() throws {
        let server = try TestServer { $0.maxConnections = 2 }
        let first = try RawClient(port: server.port)
        let second = try RawClient(port: server.port)
        try first.send("GET /fast HTTP/1.1\r\nHost: t\r\n\r\n")
        _ = try first.readResponse()
        try second.send("GET /fast HTTP/1.1\r\nHost: t\r\n\r\n")
        _ = try second.readResponse()
        let third = try RawClient(port: server.port)
        let response = try third.readResponse()
        #expect(response.status == 503)
        #expect(response.header("Retry-After") != nil)
        #expect(third.isClosedByPeer())
    }

    @Test func fullWorkerQueue_answers503WithRetryAfter() throws {
        let server = try TestServer {
            $0.workers = 1
            $0.queueCapacity = 1
        }
        // One running, one queued: the third has nowhere to go.
        let clients = try (0..<3).map { _ in try RawClient(port: server.port) }
        try clients[0].send("GET /held HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(server.gate.waitForArrivals(1))
        try clients[1].send("GET /held HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(eventually { server.server.queuedRequests == 1 })
        try clients[2].send("GET /held HTTP/1.1\r\nHost: t\r\n\r\n")
        let refused = try clients[2].readResponse()
        #expect(refused.status == 503)
        #expect(refused.header("Retry-After") == "1")
        server.gate.open()
        #expect(try clients[0].readResponse().status == 200)
        #expect(try clients[1].readResponse().status == 200)
    }

    @Test func gracefulShutdown_finishesInFlightRequest_andRefusesNewConnections() throws {
        let server = try TestServer()
        let busy = try RawClient(port: server.port)
        let idle = try RawClient(port: server.port)
        try idle.send("GET /fast HTTP/1.1\r\nHost: t\r\n\r\n")
        _ = try idle.readResponse()
        try busy.send("GET /held HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(server.gate.waitForArrivals(1))
        server.server.shutdown()
        // The idle connection is closed at once; the busy one gets its answer, then closes.
        #expect(idle.isClosedByPeer())
        server.gate.open()
        let response = try busy.readResponse()
        #expect(response.status == 200)
        #expect(response.text == "held")
        #expect(response.header("Connection") == "close")
        server.server.waitUntilStopped()
        #expect(throws: (any Error).self) {
            let late = try RawClient(port: server.port)
            try late.send("GET /fast HTTP/1.1\r\nHost: t\r\n\r\n")
            _ = try late.readResponse()
        }
    }
}
