import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A blocking test client on a real socket that sends literal bytes and reads responses, so
/// the tests see exactly what a client on the wire would.
public final class RawClient {
    public let fd: Int32

    public struct Response {
        public var status: Int
        public var headers: [(String, String)]
        public var body: [UInt8]

        public func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }

        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    public struct Closed: Error {}
    public struct TimedOut: Error {}

    private var buffer: [UInt8] = []

    public init(port: Int, host: String = "127.0.0.1", timeout: Double = 5) throws {
        let family = host.contains(":") ? AF_INET6 : AF_INET
        // The descriptor is kept in a local until it is connected: an init that throws after
        // `fd` is set runs deinit, whose close would then close a number another thread may
        // already have been given again.
        let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Closed() }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var result: Int32
        if family == AF_INET6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = UInt16(port).bigEndian
            inet_pton(AF_INET6, host, &address.sin6_addr)
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            inet_pton(AF_INET, host, &address.sin_addr)
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        guard result == 0 else {
            close(fd)
            throw Closed()
        }
        self.fd = fd
    }

    deinit { close(fd) }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Closed() }
            offset += n
        }
    }

    /// Reads more bytes into the buffer; throws on close or timeout.
    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n > 0 {
            buffer.append(contentsOf: chunk[0..<n])
            return
        }
        if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { throw TimedOut() }
        throw Closed()
    }

    /// Reads one response. `head: true` reads a HEAD response (no body despite Content-Length).
    public func readResponse(head: Bool = false) throws -> Response {
        while true {
            if let end = find([13, 10, 13, 10]) {
                let headText = String(decoding: buffer[0..<end], as: UTF8.self)
                var lines = headText.components(separatedBy: "\r\n")
                let statusLine = lines.removeFirst()
                let status = Int(statusLine.split(separator: " ")[1]) ?? 0
                let headers = lines.map { line -> (String, String) in
                    let colon = line.firstIndex(of: ":")!
                    return (
                        String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                    )
                }
                buffer.removeFirst(end + 4)
                let response = Response(status: status, headers: headers, body: [])
                if status == 100 || head || status == 204 || status == 304 { return response }
                let length = Int(response.header("Content-Length") ?? "0") ?? 0
                while buffer.count < length { try fill() }
                var complete = response
                complete.body = Array(buffer[0..<length])
                buffer.removeFirst(length)
                return complete
            }
            try fill()
        }
    }

    /// True when the server closed the connection (EOF) within the receive timeout.
    public func isClosedByPeer() -> Bool {
        do {
            while true { try fill() }
        } catch is Closed {
            return true
        } catch {
            return false
        }
    }

    /// Every byte the server sends (beyond what responses already read took) until it closes
    /// the connection; nil if it does not close within the receive timeout.
    public func bytesUntilClosed() -> [UInt8]? {
        do {
            while true { try fill() }
        } catch is Closed {
            defer { buffer.removeAll() }
            return buffer
        } catch {
            return nil
        }
    }

    private func find(_ pattern: [UInt8]) -> Int? {
        guard buffer.count >= pattern.count else { return nil }
        for i in 0...(buffer.count - pattern.count) where buffer[i] == pattern[0] {
            if Array(buffer[i..<(i + pattern.count)]) == pattern { return i }
        }
        return nil
    }
}
