#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestSupport
import HTTP
import Routing
import Testing

/// A worker writes its response to the socket itself when it can and hands the connection back
/// to its loop otherwise: these pin down each way back.
@Suite struct WorkerHandoffTests {
    @Test func manySequentialWorkerRequests_onOneConnection_areEachAnswered() throws {
        // The client's next request races the worker's hand-back every time.
        let server = try TestServer()
        let client = try RawClient(port: server.port)
        for index in 0..<500 {
            try client.send("GET /echo/w\(index) HTTP/1.1\r\nHost: t\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "w\(index)")
        }
    }

    @Test func largeResponse_toAClientThatReadsLate_arrivesWhole() throws {
        // Far more than a socket buffer holds: the worker's write stops short and the loop
        // finishes it as the client drains.
        let server = try TestServer()
        let client = try RawClient(port: server.port, timeout: 10)
        let size = 8_000_000
        try client.send("GET /big?bytes=\(size) HTTP/1.1\r\nHost: t\r\n\r\n")
        usleep(300_000)
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.body.count == size)
        #expect(response.body.enumerated().allSatisfy { $0.element == UInt8(truncatingIfNeeded: $0.offset % 251) })
        // The connection is still usable afterwards.
        try client.send("GET /echo/after HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try client.readResponse().text == "after")
    }

    @Test func requestSentRightBehindAWorkerRequest_isAnsweredAfterIt() throws {
        let server = try TestServer()
        let client = try RawClient(port: server.port)
        try client.send("GET /slow?ms=150 HTTP/1.1\r\nHost: t\r\n\r\n")
        usleep(50_000)
        // Arrives while the worker still has the first request.
        try client.send("GET /echo/second HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try client.readResponse().text == "slept 150")
        #expect(try client.readResponse().text == "second")
    }

    @Test func clientsGoneWhileWorkersAnswer_leakNoDescriptor_andServingGoesOn() throws {
        let server = try TestServer()
        // Warm up so lazily opened descriptors are not counted as leaks.
        let warm = try RawClient(port: server.port)
        try warm.send("GET /echo/warm HTTP/1.1\r\nHost: t\r\n\r\n")
        _ = try warm.readResponse()
        let before = openDescriptors()
        for _ in 0..<20 {
            let client = try RawClient(port: server.port)
            try client.send("GET /slow?ms=100 HTTP/1.1\r\nHost: t\r\n\r\n")
            // Hang up at once: the loop drops the connection while a worker has the request.
            var linger = linger(l_onoff: 1, l_linger: 0)
            setsockopt(client.fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
        }
        // The workers finish (four of them, 20 × 100 ms) and the descriptors are released.
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline, openDescriptors() > before || server.server.connectionCount > 1 { usleep(50_000) }
        #expect(openDescriptors() <= before)
        #expect(server.server.connectionCount == 1)
        try warm.send("GET /echo/still HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try warm.readResponse().text == "still")
    }

    @Test func shutdown_closesAConnectionLastAnsweredByAWorker() throws {
        let server = try TestServer()
        let client = try RawClient(port: server.port, timeout: 4)
        try client.send("GET /echo/x HTTP/1.1\r\nHost: t\r\n\r\n")
        _ = try client.readResponse()
        let started = Date()
        server.server.shutdown()
        #expect(client.isClosedByPeer())
        #expect(Date().timeIntervalSince(started) < 2)
        server.server.waitUntilStopped()
    }

    private func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
    }
}
