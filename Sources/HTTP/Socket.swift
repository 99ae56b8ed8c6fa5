import CLinuxShims

#if canImport(Glibc)
    import Glibc
#endif

/// A failed system call, with the call's name and errno; never shown to HTTP clients.
public struct SystemError: Error, CustomStringConvertible, Sendable {
    public let call: String
    public let errno: Int32

    public init(_ call: String, errno: Int32 = Glibc.errno) {
        self.call = call
        self.errno = errno
    }

    public var description: String { "\(call): \(String(cString: strerror(errno)))" }
}

/// Thin wrappers over the socket calls the server needs. Kept apart from the protocol code so
/// the parser and writer stay pure and testable on byte strings.
enum Socket {
    /// Opens non-blocking listening sockets for every address `host` resolves to.
    static func listen(host: String, port: Int, backlog: Int32 = 1_024) throws -> [(fd: Int32, port: Int)] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &result)
        guard status == 0, let first = result else {
            throw SystemError("getaddrinfo(\(host)): \(String(cString: gai_strerror(status)))", errno: 0)
        }
        defer { freeaddrinfo(first) }

        var sockets: [(fd: Int32, port: Int)] = []
        var boundPort = port
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        do {
            while let info = cursor {
                defer { cursor = info.pointee.ai_next }
                let fd = socket(
                    info.pointee.ai_family,
                    Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
                guard fd >= 0 else { throw SystemError("socket") }
                var on: Int32 = 1
                setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
                if info.pointee.ai_family == AF_INET6 {
                    // "::" should take IPv4 too; an explicit v6 address stays v6 either way.
                    var off: Int32 = 0
                    setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &off, socklen_t(MemoryLayout<Int32>.size))
                }
                // With port 0 and several addresses (localhost → ::1, 127.0.0.1) use one port for all.
                if boundPort != 0 { setPort(info.pointee.ai_addr, boundPort) }
                guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
                    let error = SystemError("bind \(host):\(boundPort)")
                    close(fd)
                    throw error
                }
                guard Glibc.listen(fd, backlog) == 0 else {
                    let error = SystemError("listen")
                    close(fd)
                    throw error
                }
                boundPort = localPort(fd)
                sockets.append((fd, boundPort))
            }
        } catch {
            for s in sockets { close(s.fd) }
            throw error
        }
        return sockets
    }

    private static func setPort(_ addr: UnsafeMutablePointer<sockaddr>, _ port: Int) {
        let networkPort = UInt16(port).bigEndian
        if Int32(addr.pointee.sa_family) == AF_INET {
            addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_port = networkPort }
        } else if Int32(addr.pointee.sa_family) == AF_INET6 {
            addr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_port = networkPort }
        }
    }

    static func localPort(_ fd: Int32) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard ok == 0 else { return 0 }
        let family = Int32(storage.ss_family)
        return withUnsafePointer(to: &storage) { pointer -> Int in
            if family == AF_INET {
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    Int(UInt16(bigEndian: $0.pointee.sin_port))
                }
            }
            return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                Int(UInt16(bigEndian: $0.pointee.sin6_port))
            }
        }
    }

    /// Accepts one pending connection as a non-blocking socket; nil when none is waiting.
    static func accept(_ listener: Int32) throws -> Int32? {
        let fd = cshim_accept_nonblocking(listener)
        if fd >= 0 {
            var on: Int32 = 1
            // Responses are written whole; Nagle would only delay the last segment.
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
            return fd
        }
        switch errno {
        case EAGAIN, EWOULDBLOCK, EINTR, ECONNABORTED, EPROTO: return nil
        // Out of descriptors: back off this round rather than spin; the connection waits in the backlog.
        case EMFILE, ENFILE, ENOBUFS, ENOMEM: return nil
        default: throw SystemError("accept4")
        }
    }

    enum ReadResult { case bytes(Int), wouldBlock, closed }

    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> ReadResult {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n > 0 { return .bytes(n) }
            if n == 0 { return .closed }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { return .wouldBlock }
            return .closed
        }
    }

    enum WriteResult { case wrote(Int), wouldBlock, failed }

    static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> WriteResult {
        while true {
            let n = send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
            if n >= 0 { return .wrote(n) }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { return .wouldBlock }
            return .failed
        }
    }
}
