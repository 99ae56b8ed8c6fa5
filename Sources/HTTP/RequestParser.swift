/// An incremental HTTP/1.1 request parser (RFC 9112). Feed it the connection's buffer after every
/// read; it consumes exactly one request's bytes at a time, so pipelined requests stay queued in
/// the buffer until the server asks for the next one.
///
/// It is strict on purpose: anything that two parsers could read differently (bare LF, obs-fold,
/// whitespace before a colon, CL with TE, conflicting lengths) is refused, because tolerating it
/// is how request smuggling starts.
public struct RequestParser: Sendable {
    public enum Event: Sendable {
        /// Not enough bytes yet.
        case needMore
        /// One complete request; its bytes are consumed.
        case request(HTTPRequest)
        /// The input is unusable; answer `error.status` and close.
        case error(HTTPParseError)
    }

    private enum ChunkState: Sendable {
        case size
        case data(remaining: Int)
        case dataEnd
        case trailers(bytes: Int)
    }

    private enum State: Sendable {
        case head
        case fixedBody(remaining: Int)
        case chunked(ChunkState)
    }

    public let limits: ParserLimits
    private var state: State = .head
    /// The head of the request whose body is being read; the server checks it for
    /// `Expect: 100-continue`.
    public private(set) var pendingHead: HTTPRequestHead?
    private var body: [UInt8] = []
    /// Where the search for the end of the head resumes, so a head trickling in byte by byte
    /// is scanned once, not once per byte.
    private var headScanOffset = 0

    public init(limits: ParserLimits = ParserLimits()) { self.limits = limits }

    /// True when part of a request has been read (a head in progress or a body pending).
    public func isMidRequest(_ buffer: InboundBuffer) -> Bool {
        if case .head = state { return !buffer.isEmpty }
        return true
    }

    /// Parses as far as the buffer allows.
    public mutating func parse(_ buffer: inout InboundBuffer) -> Event {
        do {
            while true {
                switch state {
                case .head:
                    guard let head = try parseHead(&buffer) else { return .needMore }
                    headScanOffset = 0
                    switch try bodyFraming(of: head) {
                    case .none:
                        return .request(HTTPRequest(head: head))
                    case .length(let n):
                        pendingHead = head
                        body = []
                        body.reserveCapacity(n)
                        state = .fixedBody(remaining: n)
                    case .chunked:
                        pendingHead = head
                        body = []
                        state = .chunked(.size)
                    }
                case .fixedBody(let remaining):
                    let take = min(remaining, buffer.readableCount)
                    appendBody(from: buffer, count: take)
                    buffer.consume(take)
                    if take < remaining {
                        state = .fixedBody(remaining: remaining - take)
                        return .needMore
                    }
                    return finishRequest()
                case .chunked(let chunkState):
                    guard let done = try parseChunked(chunkState, &buffer) else { return .needMore }
                    if done { return finishRequest() }
                }
            }
        } catch let error as HTTPParseError {
            return .error(error)
        } catch {
            return .error(.bad("malformed request"))
        }
    }

    private mutating func finishRequest() -> Event {
        let request = HTTPRequest(head: pendingHead!, body: body)
        pendingHead = nil
        body = []
        state = .head
        return .request(request)
    }

    private mutating func appendBody(from buffer: InboundBuffer, count: Int) {
        guard count > 0 else { return }
        buffer.storage.withUnsafeBufferPointer { all in
            body.append(contentsOf: all[buffer.readIndex..<(buffer.readIndex + count)])
        }
    }

    // MARK: Head

    /// Finds the end of the head and parses it; nil while incomplete.
    private mutating func parseHead(_ buffer: inout InboundBuffer) throws -> HTTPRequestHead? {
        // RFC 9112 §2.2: ignore empty lines before the request line (some clients send a CRLF
        // after a POST body).
        while buffer.readableCount >= 2,
            buffer.storage[buffer.readIndex] == 13, buffer.storage[buffer.readIndex + 1] == 10
        {
            buffer.consume(2)
            headScanOffset = 0
        }
        let found: Int? = try buffer.storage.withUnsafeBufferPointer { all in
            let start = buffer.readIndex
            let end = all.count
            var i = start + headScanOffset
            while i < end {
                // The head runs from `start` through byte `i`; checked before the byte is
                // looked at, so the answer never depends on how the bytes were split.
                if i - start + 1 > limits.maxHeaderBytes { throw HTTPParseError.headersTooLarge }
                let byte = all[i]
                if byte == 10 {
                    // RFC 9112 §2.2: a bare LF is not a line end here; refusing it keeps us in
                    // step with strict proxies.
                    guard i > start, all[i - 1] == 13 else { throw HTTPParseError.bad("bare LF in header section") }
                    if i - start >= 3, all[i - 2] == 10, all[i - 3] == 13 { return i + 1 }
                } else if byte == 13, i + 1 < end, all[i + 1] != 10 {
                    throw HTTPParseError.bad("bare CR in header section")
                }
                i += 1
            }
            headScanOffset = max(0, end - start - 1)
            return nil
        }
        guard let headEnd = found else { return nil }
        let head = try buffer.storage.withUnsafeBufferPointer { all in
            try Self.decodeHead(UnsafeBufferPointer(rebasing: all[buffer.readIndex..<(headEnd - 2)]), limits: limits)
        }
        buffer.consume(headEnd - buffer.readIndex)
        return head
    }

    /// Decodes request line and fields; `bytes` ends with the CRLF of the last field line.
    static func decodeHead(_ bytes: UnsafeBufferPointer<UInt8>, limits: ParserLimits) throws -> HTTPRequestHead {
        // Lines end in CRLF (bare CR and LF were refused while finding the head's end).
        func lineEnd(from start: Int) -> Int {
            var i = start
            while i < bytes.count, bytes[i] != 13 { i += 1 }
            return i
        }
        let requestLineEnd = lineEnd(from: 0)
        guard requestLineEnd < bytes.count else { throw HTTPParseError.bad("missing request line") }
        let (method, target, version) = try decodeRequestLine(UnsafeBufferPointer(rebasing: bytes[0..<requestLineEnd]))
        var fields: [HTTPHeaders.Element] = []
        fields.reserveCapacity(8)
        var start = requestLineEnd + 2
        while start < bytes.count {
            let end = lineEnd(from: start)
            if fields.count == limits.maxHeaderCount { throw HTTPParseError.tooManyHeaders }
            fields.append(try decodeField(UnsafeBufferPointer(rebasing: bytes[start..<end])))
            start = end + 2
        }
        return HTTPRequestHead(method: method, target: target, version: version, headers: HTTPHeaders(fields))
    }

    /// RFC 9112 §3: method SP request-target SP HTTP-version, single spaces only.
    static func decodeRequestLine(_ line: UnsafeBufferPointer<UInt8>) throws -> (String, String, HTTPVersion) {
        guard let sp1 = line.firstIndex(of: 32) else { throw HTTPParseError.bad("malformed request line") }
        let rest = UnsafeBufferPointer(rebasing: line[(sp1 + 1)...])
        guard let sp2rel = rest.firstIndex(of: 32) else { throw HTTPParseError.bad("malformed request line") }
        let methodBytes = UnsafeBufferPointer(rebasing: line[..<sp1])
        let targetBytes = UnsafeBufferPointer(rebasing: rest[..<sp2rel])
        let versionBytes = UnsafeBufferPointer(rebasing: rest[(sp2rel + 1)...])

        guard !methodBytes.isEmpty, methodBytes.count <= 24, methodBytes.allSatisfy(isTokenByte) else {
            throw HTTPParseError.bad("invalid method")
        }
        guard !targetBytes.isEmpty, targetBytes.count <= 8_192,
            targetBytes.allSatisfy({ $0 > 32 && $0 < 127 })
        else {
            throw HTTPParseError.bad("invalid request target")
        }
        let version = try decodeVersion(versionBytes)
        let method = String(decoding: methodBytes, as: UTF8.self)
        var target = String(decoding: targetBytes, as: UTF8.self)
        if targetBytes[0] != UInt8(ascii: "/") {
            if target == "*" {
                // RFC 9112 §3.2.4: asterisk-form is for OPTIONS only.
                guard method == "OPTIONS" else { throw HTTPParseError.bad("invalid request target") }
            } else if let path = absoluteFormPath(target) {
                // RFC 9112 §3.2.2: a server must accept absolute-form; only its path matters here.
                target = path
            } else {
                throw HTTPParseError.bad("invalid request target")
            }
        }
        return (method, target, version)
    }

    private static func absoluteFormPath(_ target: String) -> String? {
        let lower = target.lowercased()
        let schemeEnd: String.Index
        if lower.hasPrefix("http://") {
            schemeEnd = target.index(target.startIndex, offsetBy: 7)
        } else if lower.hasPrefix("https://") {
            schemeEnd = target.index(target.startIndex, offsetBy: 8)
        } else {
            return nil
        }
        let afterScheme = target[schemeEnd...]
        guard let authorityEnd = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return "/" }
        guard authorityEnd > afterScheme.startIndex else { return nil }
        let rest = afterScheme[authorityEnd...]
        return rest.first == "?" ? "/" + rest : String(rest)
    }

    private static func decodeVersion(_ bytes: UnsafeBufferPointer<UInt8>) throws -> HTTPVersion {
        // "HTTP/" DIGIT "." DIGIT, RFC 9112 §2.3.
        guard bytes.count == 8, bytes[0] == 72, bytes[1] == 84, bytes[2] == 84, bytes[3] == 80, bytes[4] == 47,
            isDigit(bytes[5]), bytes[6] == 46, isDigit(bytes[7])
        else {
            throw HTTPParseError.bad("invalid HTTP version")
        }
        switch (bytes[5], bytes[7]) {
        case (49, 49): return .http1_1
        case (49, 48): return .http1_0
        default: throw HTTPParseError(status: 505, reason: "HTTP version not supported")
        }
    }

    /// RFC 9112 §5: field-name ":" OWS field-value OWS.
    private static func decodeField(_ line: UnsafeBufferPointer<UInt8>) throws -> HTTPHeaders.Element {
        guard let first = line.first else { throw HTTPParseError.bad("empty header line") }
        // RFC 9112 §5.2: obsolete line folding may be rejected; it is a classic smuggling vector.
        if first == 32 || first == 9 { throw HTTPParseError.bad("obsolete line folding") }
        guard let colon = line.firstIndex(of: 58), colon > 0 else { throw HTTPParseError.bad("malformed header field") }
        let name = UnsafeBufferPointer(rebasing: line[..<colon])
        // RFC 9112 §5.1: no whitespace between name and colon; a 400 is required.
        guard name.allSatisfy(isTokenByte) else { throw HTTPParseError.bad("invalid header field name") }
        var start = colon + 1, end = line.count
        while start < end, line[start] == 32 || line[start] == 9 { start += 1 }
        while end > start, line[end - 1] == 32 || line[end - 1] == 9 { end -= 1 }
        let value = UnsafeBufferPointer(rebasing: line[start..<end])
        // RFC 9110 §5.5: NUL, CR, LF and other controls are never valid in a field value.
        for byte in value where (byte < 32 && byte != 9) || byte == 127 {
            throw HTTPParseError.bad("control character in header field value")
        }
        return (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }

    // MARK: Body framing

    private enum BodyFraming { case none, length(Int), chunked }

    private func bodyFraming(of head: HTTPRequestHead) throws -> BodyFraming {
        // One pass to count what matters; most requests have one Host and no body fields, and
        // they get through without building any list.
        var hostCount = 0, framingFields = false
        for field in head.headers {
            if field.name.equalsIgnoringASCIICase("Host") {
                hostCount += 1
            } else if field.name.equalsIgnoringASCIICase("Transfer-Encoding")
                || field.name.equalsIgnoringASCIICase("Content-Length")
            {
                framingFields = true
            }
        }
        // RFC 9112 §3.2: a 1.1 request without exactly one Host is a 400.
        if hostCount > 1 || (head.version == .http1_1 && hostCount == 0) {
            throw HTTPParseError.bad(hostCount == 0 ? "missing Host header" : "more than one Host header")
        }
        guard framingFields else { return .none }
        let transferEncodings = head.headers.values(for: "Transfer-Encoding")
        let contentLengths = head.headers.values(for: "Content-Length")
        if !transferEncodings.isEmpty {
            // RFC 9112 §6.1: CL with TE is how smuggling is done; refuse rather than pick one.
            guard contentLengths.isEmpty else { throw HTTPParseError.bad("both Content-Length and Transfer-Encoding") }
            guard head.version == .http1_1 else { throw HTTPParseError.bad("Transfer-Encoding in an HTTP/1.0 request") }
            let codings = transferEncodings.flatMap { $0.split(separator: ",").map { $0.trimmingHTTPWhitespace() } }
            // RFC 9112 §6.3: chunked must be the final coding, else 400.
            guard let last = codings.last, last.equalsIgnoringASCIICase("chunked") else {
                throw HTTPParseError.bad("Transfer-Encoding must end with chunked")
            }
            guard codings.count == 1 else {
                throw HTTPParseError(status: 501, reason: "transfer coding not supported")
            }
            return .chunked
        }
        guard !contentLengths.isEmpty else { return .none }
        var length: Int?
        for value in contentLengths {
            for part in value.split(separator: ",", omittingEmptySubsequences: false) {
                let text = part.trimmingHTTPWhitespace()
                guard !text.isEmpty, text.utf8.count <= 15, text.utf8.allSatisfy(isDigit), let n = Int(text) else {
                    throw HTTPParseError.bad("invalid Content-Length")
                }
                // RFC 9112 §6.3: differing lengths are unrecoverable framing errors.
                if let seen = length, seen != n { throw HTTPParseError.bad("conflicting Content-Length values") }
                length = n
            }
        }
        let n = length ?? 0
        if n > limits.maxBodyBytes { throw HTTPParseError.bodyTooLarge }
        return n == 0 ? .none : .length(n)
    }

    // MARK: Chunked

    /// Advances the chunked decoder; nil when it needs more bytes, true when the body is complete.
    private mutating func parseChunked(_ start: ChunkState, _ buffer: inout InboundBuffer) throws -> Bool? {
        var chunkState = start
        defer { state = .chunked(chunkState) }
        while true {
            switch chunkState {
            case .size:
                guard let line = try takeLine(&buffer, maxLength: 1_024) else { return nil }
                let size = try Self.chunkSize(line)
                if size == 0 {
                    chunkState = .trailers(bytes: 0)
                } else {
                    if body.count + size > limits.maxBodyBytes { throw HTTPParseError.bodyTooLarge }
                    chunkState = .data(remaining: size)
                }
            case .data(let remaining):
                let take = min(remaining, buffer.readableCount)
                appendBody(from: buffer, count: take)
                buffer.consume(take)
                if take < remaining {
                    chunkState = .data(remaining: remaining - take)
                    return nil
                }
                chunkState = .dataEnd
            case .dataEnd:
                guard buffer.readableCount >= 2 else { return nil }
                guard buffer.storage[buffer.readIndex] == 13, buffer.storage[buffer.readIndex + 1] == 10 else {
                    throw HTTPParseError.bad("chunk data not followed by CRLF")
                }
                buffer.consume(2)
                chunkState = .size
            case .trailers(let seen):
                guard let line = try takeLine(&buffer, maxLength: limits.maxHeaderBytes) else { return nil }
                if line.isEmpty {
                    chunkState = .size
                    return true
                }
                let total = seen + line.count + 2
                if total > limits.maxHeaderBytes { throw HTTPParseError.headersTooLarge }
                // Trailer fields are validated like header fields and then dropped: nothing here
                // depends on them, and merging them into headers would let a body rewrite its head.
                _ = try line.withUnsafeBufferPointer { try Self.decodeField($0) }
                chunkState = .trailers(bytes: total)
            }
        }
    }

    /// Takes one CRLF-terminated line (without the CRLF), nil when incomplete.
    private func takeLine(_ buffer: inout InboundBuffer, maxLength: Int) throws -> [UInt8]? {
        let result: [UInt8]? = try buffer.storage.withUnsafeBufferPointer { all in
            var i = buffer.readIndex
            while i < all.count {
                if all[i] == 13 {
                    guard i + 1 < all.count else { return nil }
                    guard all[i + 1] == 10 else { throw HTTPParseError.bad("bare CR in chunked framing") }
                    return Array(all[buffer.readIndex..<i])
                }
                if all[i] == 10 { throw HTTPParseError.bad("bare LF in chunked framing") }
                i += 1
                if i - buffer.readIndex > maxLength { throw HTTPParseError.bad("chunk line too long") }
            }
            return nil
        }
        if let line = result { buffer.consume(line.count + 2) }
        return result
    }

    /// RFC 9112 §7.1: chunk-size [ chunk-ext ]; extensions are accepted and ignored.
    private static func chunkSize(_ line: [UInt8]) throws -> Int {
        var size = 0
        var digits = 0
        var index = 0
        while index < line.count, let value = hexValue(line[index]) {
            digits += 1
            // 15 hex digits cannot overflow Int; no body is anywhere near that anyway.
            guard digits <= 15 else { throw HTTPParseError.bad("chunk size too long") }
            size = size * 16 + value
            index += 1
        }
        guard digits > 0 else { throw HTTPParseError.bad("invalid chunk size") }
        var rest = line[index...]
        while let c = rest.first, c == 32 || c == 9 { rest = rest.dropFirst() }
        if let c = rest.first {
            guard c == 59 else { throw HTTPParseError.bad("invalid chunk size") }
            for byte in rest where (byte < 32 && byte != 9) || byte == 127 {
                throw HTTPParseError.bad("control character in chunk extension")
            }
        }
        return size
    }
}

@inline(__always) func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }

@inline(__always) func hexValue(_ b: UInt8) -> Int? {
    switch b {
    case 48...57: Int(b - 48)
    case 65...70: Int(b - 55)
    case 97...102: Int(b - 87)
    default: nil
    }
}

/// RFC 9110 §5.6.2 tchar.
@inline(__always) func isTokenByte(_ b: UInt8) -> Bool {
    switch b {
    case 48...57, 65...90, 97...122: true
    case 33, 35, 36, 37, 38, 39, 42, 43, 45, 46, 94, 95, 96, 124, 126: true
    default: false
    }
}
