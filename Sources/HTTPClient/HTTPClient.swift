import CSSL
import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// A small outbound HTTP/1.1 client for webhook deliveries: one request per connection
/// (`Connection: close`), https through OpenSSL with certificate and host name verification,
/// a connect timeout and an overall response deadline, and a guard against private targets.
public enum HTTPClient {
    public struct Response: Sendable {
        public let status: Int
        public let headers: [(String, String)]
        /// At most `maxBody` bytes of the body.
        public let body: [UInt8]
    }

    public enum Failure: Error, CustomStringConvertible, Sendable {
        case invalidURL(String)
        case refusedAddress(String)
        case resolve(String)
        case connect(String)
        case timeout
        case tls(String)
        case malformedResponse(String)

        public var description: String {
            switch self {
            case .invalidURL(let why): "invalid URL: \(why)"
            case .refusedAddress(let address):
                "refused to connect to \(address): private, loopback and link-local addresses are not allowed"
            case .resolve(let why): "could not resolve the host: \(why)"
            case .connect(let why): "could not connect: \(why)"
            case .timeout: "timed out"
            case .tls(let why): "TLS failed: \(why)"
            case .malformedResponse(let why): "malformed response: \(why)"
            }
        }
    }

    /// The text a C function wrote into `buffer`, up to its terminating NUL.
    static func text(ofTerminated buffer: [CChar]) -> String {
        buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// A parsed `http://` or `https://` URL.
    public struct Target: Sendable, Equatable {
        public let secure: Bool
        public let host: String
        public let port: Int
        /// Path and query, at least `/`.
        public let path: String

        /// Nil (with the reason) for anything but an absolute http(s) URL with a host.
        public static func parse(_ text: String) -> Result<Target, Failure> {
            guard text.count <= 2_048, let components = URLComponents(string: text),
                let scheme = components.scheme?.lowercased(),
                scheme == "http" || scheme == "https"
            else { return .failure(.invalidURL("must be an absolute http or https URL")) }
            guard let host = components.host, !host.isEmpty else { return .failure(.invalidURL("has no host")) }
            guard components.user == nil, components.password == nil else {
                return .failure(.invalidURL("must not carry credentials"))
            }
            let secure = scheme == "https"
            let port = components.port ?? (secure ? 443 : 80)
            guard (1...65_535).contains(port) else { return .failure(.invalidURL("has an invalid port")) }
            var path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
            if let query = components.percentEncodedQuery { path += "?" + query }
            let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
            return .success(Target(secure: secure, host: bare, port: port, path: path))
        }
    }

    /// POSTs `body` to `url`. `allowPrivate` lifts the guard against private, loopback and
    /// link-local addresses (checked on every address the name resolves to, right before
    /// connecting, so a name cannot be re-pointed between check and use).
    public static func post(
        _ url: String, headers: [(String, String)], body: [UInt8], connectTimeout: Double = 5,
        responseTimeout: Double = 10, allowPrivate: Bool, maxBody: Int = 65_536
    ) throws -> Response {
        let target = try Target.parse(url).get()
        let deadline = Date().addingTimeInterval(connectTimeout + responseTimeout)
        let fd = try connect(target, timeout: connectTimeout, allowPrivate: allowPrivate)
        defer { close(fd) }
        var timeout = timeval(tv_sec: Int(responseTimeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let channel: Channel = target.secure ? try TLSChannel(fd: fd, host: target.host) : PlainChannel(fd: fd)
        defer { channel.close() }
        let hostField =
            (target.host.contains(":") ? "[\(target.host)]" : target.host)
            + ((target.secure && target.port == 443) || (!target.secure && target.port == 80) ? "" : ":\(target.port)")
        var head =
            "POST \(target.path) HTTP/1.1\r\nHost: \(hostField)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
        for (name, value) in headers
        where !name.contains("\r") && !name.contains("\n") && !value.contains("\r") && !value.contains("\n") {
            head += "\(name): \(value)\r\n"
        }
        try channel.write(Array((head + "\r\n").utf8) + body)
        return try readResponse(channel, deadline: deadline, maxBody: maxBody)
    }

    /// Why `host` may not be a webhook target, or nil: it must resolve, and to public
    /// addresses only.
    public static func privateAddressProblem(host: String, port: Int) -> String? {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else { return "names a host that does not resolve" }
        defer { freeaddrinfo(list) }
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            cursor = info.pointee.ai_next
            if let address = info.pointee.ai_addr, isPrivate(address) {
                return "resolves to \(describe(address)), a private, loopback or link-local address"
            }
        }
        return nil
    }

    // MARK: Connecting

    private static func connect(_ target: Target, timeout: Double, allowPrivate: Bool) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(target.host, String(target.port), &hints, &list)
        guard status == 0, let first = list else { throw Failure.resolve(String(cString: gai_strerror(status))) }
        defer { freeaddrinfo(list) }
        var refused: String?
        var lastError = "no address"
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            cursor = info.pointee.ai_next
            guard let address = info.pointee.ai_addr else { continue }
            let text = describe(address)
            if !allowPrivate && isPrivate(address) {
                refused = text
                continue
            }
            let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { continue }
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            var result = Glibc.connect(fd, address, info.pointee.ai_addrlen)
            if result != 0 && errno == EINPROGRESS {
                var poll = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                let ready = Glibc.poll(&poll, 1, Int32(timeout * 1000))
                if ready == 1 {
                    var error: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
                    result = error == 0 ? 0 : -1
                    if error != 0 { lastError = String(cString: strerror(error)) }
                } else {
                    lastError = "timed out after \(Int(timeout)) s"
                    result = -1
                }
            } else if result != 0 {
                lastError = String(cString: strerror(errno))
            }
            if result == 0 {
                _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
                return fd
            }
            close(fd)
        }
        if let refused { throw Failure.refusedAddress(refused) }
        throw Failure.connect(lastError)
    }

    /// Loopback, private (RFC 1918, RFC 4193), link-local, unspecified, carrier-grade NAT,
    /// multicast and IPv4-mapped forms of those: where a webhook must not reach uninvited.
    public static func isPrivate(_ address: UnsafePointer<sockaddr>) -> Bool {
        if address.pointee.sa_family == sa_family_t(AF_INET) {
            let ip = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                UInt32(bigEndian: $0.pointee.sin_addr.s_addr)
            }
            return isPrivateIPv4(ip)
        }
        if address.pointee.sa_family == sa_family_t(AF_INET6) {
            let bytes = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) }
            }
            // :: and ::1
            if bytes.allSatisfy({ $0 == 0 }) || bytes == [UInt8](repeating: 0, count: 15) + [1] { return true }
            if bytes[0] & 0xFE == 0xFC { return true }  // fc00::/7 unique local
            if bytes[0] == 0xFE && bytes[1] & 0xC0 == 0x80 { return true }  // fe80::/10 link-local
            if bytes[0] == 0xFF { return true }  // multicast
            if bytes[0] == 0x20 && bytes[1] == 0x02 {  // 2002::/16 6to4 carries an IPv4 address
                return isPrivateIPv4(
                    UInt32(bytes[2]) << 24 | UInt32(bytes[3]) << 16 | UInt32(bytes[4]) << 8 | UInt32(bytes[5]))
            }
            if bytes[0..<12] == [0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0] {  // 64:ff9b::/96 NAT64
                return isPrivateIPv4(
                    UInt32(bytes[12]) << 24 | UInt32(bytes[13]) << 16 | UInt32(bytes[14]) << 8 | UInt32(bytes[15]))
            }
            if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {  // ::ffff:a.b.c.d
                return isPrivateIPv4(
                    UInt32(bytes[12]) << 24 | UInt32(bytes[13]) << 16 | UInt32(bytes[14]) << 8 | UInt32(bytes[15]))
            }
            return false
        }
        return true
    }

    static func isPrivateIPv4(_ ip: UInt32) -> Bool {
        let a = ip >> 24, b = (ip >> 16) & 0xFF
        return a == 0 || a == 10 || a == 127 || (a == 169 && b == 254) || (a == 172 && (16...31).contains(b))
            || (a == 192 && b == 168) || (a == 100 && (64...127).contains(b)) || a >= 224
            || (a == 198 && (b == 18 || b == 19)) || (a == 192 && b == 0 && (ip >> 8) & 0xFF == 0)
    }

    static func describe(_ address: UnsafePointer<sockaddr>) -> String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        if address.pointee.sa_family == sa_family_t(AF_INET) {
            address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                var addr = pointer.pointee.sin_addr
                _ = inet_ntop(AF_INET, &addr, &buffer, socklen_t(buffer.count))
            }
        } else {
            address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                var addr = pointer.pointee.sin6_addr
                _ = inet_ntop(AF_INET6, &addr, &buffer, socklen_t(buffer.count))
            }
        }
        return text(ofTerminated: buffer)
    }

    // MARK: Reading

    private static func readResponse(_ channel: Channel, deadline: Date, maxBody: Int) throws -> Response {
        var data: [UInt8] = []
        var headEnd: Int?
        while headEnd == nil {
            guard Date() < deadline else { throw Failure.timeout }
            let chunk = try channel.read(max: 16_384)
            if chunk.isEmpty { throw Failure.malformedResponse("the connection closed before the response head") }
            data += chunk
            headEnd = findHeadEnd(data)
            if headEnd == nil && data.count > 65_536 {
                throw Failure.malformedResponse("the response head is too large")
            }
        }
        let head = String(decoding: data[..<headEnd!], as: UTF8.self)
        let lines = head.components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ", maxSplits: 2)
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]),
            (100...599).contains(status)
        else {
            throw Failure.malformedResponse("bad status line")
        }
        let headers: [(String, String)] = lines.dropFirst().compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            // RFC 9110 §5.5: optional white space (SP, HTAB) around a field value is not part of it.
            let isSpace = { (character: Character) in character == " " || character == "\t" }
            let value = line[line.index(after: colon)...].drop(while: isSpace)
            return (String(line[..<colon]), String(value.reversed().drop(while: isSpace).reversed()))
        }
        var body = Array(data[(headEnd! + 4)...])
        let length = headers.first { $0.0.lowercased() == "content-length" }.flatMap { Int($0.1) }
        // Read what fits the cap, then stop: only the status and the start of the body matter.
        while body.count < min(length ?? maxBody, maxBody), Date() < deadline {
            let chunk = (try? channel.read(max: 16_384)) ?? []
            if chunk.isEmpty { break }
            body += chunk
        }
        return Response(status: status, headers: headers, body: Array(body.prefix(maxBody)))
    }

    static func findHeadEnd(_ data: [UInt8]) -> Int? {
        guard data.count >= 4 else { return nil }
        for index in 0...(data.count - 4)
        where data[index] == 13 && data[index + 1] == 10 && data[index + 2] == 13 && data[index + 3] == 10 {
            return index
        }
        return nil
    }
}

/// Bytes in and out of one connection, plain or TLS.
protocol Channel {
    func write(_ bytes: [UInt8]) throws
    /// Up to `max` bytes; empty at end of stream.
    func read(max: Int) throws -> [UInt8]
    func close()
}

struct PlainChannel: Channel {
    let fd: Int32

    func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw errno == EAGAIN || errno == EWOULDBLOCK
                    ? HTTPClient.Failure.timeout : HTTPClient.Failure.connect(String(cString: strerror(errno)))
            }
            offset += written
        }
    }

    func read(max: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: max)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, max, 0) }
            if count >= 0 { return Array(buffer.prefix(count)) }
            if errno == EINTR { continue }
            throw errno == EAGAIN || errno == EWOULDBLOCK
                ? HTTPClient.Failure.timeout : HTTPClient.Failure.connect(String(cString: strerror(errno)))
        }
    }

    func close() {}
}

/// TLS over a connected socket, verifying the certificate chain against the system's trust
/// store and the certificate against the host name.
final class TLSChannel: Channel {
    private let ssl: OpaquePointer

    /// One client context for the process: its trust store is loaded once.
    nonisolated(unsafe) private static let context: OpaquePointer? = {
        guard let context = SSL_CTX_new(TLS_client_method()) else { return nil }
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        SSL_CTX_set_default_verify_paths(context)
        return context
    }()

    init(fd: Int32, host: String) throws {
        guard let context = Self.context, let ssl = SSL_new(context) else {
            throw HTTPClient.Failure.tls("no TLS context")
        }
        self.ssl = ssl
        SSL_set_fd(ssl, fd)
        _ = cssl_set_server_name(ssl, host)
        SSL_set1_host(ssl, host)
        guard SSL_connect(ssl) == 1 else {
            let code = ERR_get_error()
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            SSL_free(ssl)
            throw HTTPClient.Failure.tls(HTTPClient.text(ofTerminated: buffer))
        }
    }

    func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32($0.count)) }
            guard written > 0 else { throw HTTPClient.Failure.tls("write failed") }
            offset += Int(written)
        }
    }

    func read(max: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: max)
        let count = buffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32(max)) }
        if count > 0 { return Array(buffer.prefix(Int(count))) }
        let error = SSL_get_error(ssl, count)
        if error == SSL_ERROR_ZERO_RETURN || error == SSL_ERROR_SYSCALL && count == 0 { return [] }
        throw errno == EAGAIN || errno == EWOULDBLOCK
            ? HTTPClient.Failure.timeout : HTTPClient.Failure.tls("read failed")
    }

    func close() {
        SSL_shutdown(ssl)
        SSL_free(ssl)
    }
}
