import CSSL
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An https receiver on loopback for tests: a certificate authority and a `localhost`
/// certificate made with the `openssl` command, a TLS server on libssl answering 200 to each
/// request, and the received bodies. Point OpenSSL's trust at `caFile` (`SSL_CERT_FILE`)
/// before the first TLS client context is made.
public final class TLSReceiver: @unchecked Sendable {
    public let directory: URL
    public var caFile: String { directory.appendingPathComponent("ca.pem").path }
    public private(set) var port = 0
    private var listener: Int32 = -1
    private let context: OpaquePointer
    private let lock = NSLock()
    private var bodies: [String] = []
    private var stopped = false

    /// - hostName: the one name the server certificate carries (subject and subjectAltName).
    /// - authority: another receiver whose certificate authority signs this one's certificate
    ///   (so a client trusting that authority trusts the chain); nil makes a new authority.
    public init(hostName: String = "localhost", signedBy authority: TLSReceiver? = nil) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "concord-tls-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let dir = directory.path
        if let authority {
            for file in ["ca.pem", "ca.key"] {
                try FileManager.default.copyItem(
                    at: authority.directory.appendingPathComponent(file), to: directory.appendingPathComponent(file))
            }
        } else {
            try Self.openssl([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Concord test CA",
                "-keyout", "\(dir)/ca.key", "-out", "\(dir)/ca.pem",
            ])
        }
        try Self.openssl([
            "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=\(hostName)", "-keyout", "\(dir)/server.key",
            "-out", "\(dir)/server.csr",
        ])
        try "subjectAltName=DNS:\(hostName)\n".write(toFile: "\(dir)/san.ext", atomically: true, encoding: .utf8)
        try Self.openssl([
            "x509", "-req", "-in", "\(dir)/server.csr", "-CA", "\(dir)/ca.pem", "-CAkey", "\(dir)/ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", "\(dir)/san.ext", "-out", "\(dir)/server.pem",
        ])
        guard let context = SSL_CTX_new(TLS_server_method()),
            SSL_CTX_use_certificate_file(context, "\(dir)/server.pem", SSL_FILETYPE_PEM) == 1,
            SSL_CTX_use_PrivateKey_file(context, "\(dir)/server.key", SSL_FILETYPE_PEM) == 1
        else {
            throw TestFailure("could not load the test certificate")
        }
        self.context = context
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        listen(listener, 16)
        var bound = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = Int(UInt16(bigEndian: bound.sin_port))
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    public var url: String { "https://localhost:\(port)/hook" }

    public var received: [String] {
        lock.lock()
        defer { lock.unlock() }
        return bodies
    }

    private func serve() {
        while true {
            let client = accept(listener, nil, nil)
            lock.lock()
            let done = stopped
            lock.unlock()
            if client < 0 || done { if client >= 0 { close(client) }; return }
            guard let ssl = SSL_new(context) else { close(client); continue }
            SSL_set_fd(ssl, client)
            if SSL_accept(ssl) == 1 {
                var data: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 16_384)
                while true {
                    let count = buffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
                    if count <= 0 { break }
                    data += buffer.prefix(Int(count))
                    let text = String(decoding: data, as: UTF8.self)
                    if let end = text.range(of: "\r\n\r\n") {
                        let head = text[..<end.lowerBound].lowercased()
                        let length =
                            head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                            .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) }
                            ?? 0
                        let body = text[end.upperBound...]
                        if body.utf8.count >= length {
                            lock.lock()
                            bodies.append(String(body))
                            lock.unlock()
                            break
                        }
                    }
                }
                let answer = Array("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8)
                _ = answer.withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32($0.count)) }
                SSL_shutdown(ssl)
            }
            SSL_free(ssl)
            close(client)
        }
    }

    public func stop() {
        lock.lock()
        stopped = true
        lock.unlock()
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        try? FileManager.default.removeItem(at: directory)
    }

    static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestFailure("openssl \(arguments.first ?? "") failed") }
    }
}
