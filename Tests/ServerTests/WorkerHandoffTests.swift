import Core
import Foundation
import HTTP
import Routing
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

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
        // Read nothing until the socket buffers are full and the server has stopped writing.
        var buffered: Int32 = -1
        #expect(
            eventually(timeout: 10) {
                var now: Int32 = 0
                _ = ioctl(client.fd, UInt(FIONREAD), &now)
                defer { buffered = now }
                usleep(50_000)
                return now > 0 && now == buffered
            }, "the server never stopped short")
        #expect(buffered < size)
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
        try client.send("GET /held HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(server.gate.waitForArrivals(1))
        // Arrives while the worker still has the first request.
        try client.send("GET /echo/second HTTP/1.1\r\nHost: t\r\n\r\n")
        server.gate.open()
        #expect(try client.readResponse().text == "held")
        #expect(try client.readResponse().text == "second")
    }

    @Test func clientsGoneWhileWorkersAnswer_leakNoDescriptor_andServingGoesOn() throws {
        let server = try TestServer()
        let warm = try RawClient(port: server.port)
        try warm.send("GET /echo/warm HTTP/1.1\r\nHost: t\r\n\r\n")
        _ = try warm.readResponse()
        // The server's own socket for each of these connections, found while it is established.
        // (Counting every descriptor of the process was thrown off by suites running in parallel.)
        var accepted: Set<String> = []
        for _ in 0..<20 {
            let client = try RawClient(port: server.port)
            try client.send("GET /slow?ms=100 HTTP/1.1\r\nHost: t\r\n\r\n")
            let socket = try #require(Self.serverSocket(port: server.port, peerOf: client.fd))
            accepted.insert(socket)
            // Hang up at once: the loop drops the connection while a worker has the request.
            var linger = linger(l_onoff: 1, l_linger: 0)
            setsockopt(client.fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
        }
        #expect(accepted.count == 20)
        // The workers finish (four of them, 20 × 100 ms) and the descriptors are released.
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline, !Self.openSockets().isDisjoint(with: accepted) || server.server.connectionCount > 1 {
            usleep(50_000)
        }
        #expect(Self.openSockets().isDisjoint(with: accepted))
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

    /// The inode of the server's socket for the connection whose client end is `clientFD`, once
    /// the server has accepted it (an unaccepted one has none yet); nil after a second.
    static func serverSocket(port: Int, peerOf clientFD: Int32) -> String? {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(clientFD, $0, &length) }
        }
        let local = String(format: ":%04X", port),
            remote = String(format: ":%04X", Int(UInt16(bigEndian: address.sin_port)))
        for _ in 0..<100 {
            // Read to the end: String(contentsOfFile:) stops after the first page of a /proc file.
            let table = (try? FileHandle(forReadingAtPath: "/proc/net/tcp")?.readToEnd()).flatMap { $0 } ?? Data()
            for line in String(decoding: table, as: UTF8.self).split(separator: "\n").dropFirst() {
                let columns = line.split(separator: " ")
                if columns.count > 9, columns[1].hasSuffix(local), columns[2].hasSuffix(remote), columns[9] != "0" {
                    return String(columns[9])
                }
            }
            usleep(10_000)
        }
        return nil
    }

    /// The inodes of every socket this process holds a descriptor for.
    static func openSockets() -> Set<String> {
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return Set(
            descriptors.compactMap { name in
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(name)"),
                    target.hasPrefix("socket:[")
                else { return nil }
                return String(target.dropFirst(8).dropLast())
            })
    }
}
