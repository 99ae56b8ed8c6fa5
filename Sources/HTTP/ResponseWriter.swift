#if canImport(Glibc)
    import Core
    import Glibc
#endif

/// Serialises responses. The server owns the framing headers (`Date`, `Content-Length`,
/// `Connection`): whatever a handler set for them is replaced, so a handler can never
/// desynchronise the connection.
public enum ResponseWriter {
    /// The bytes of `response` as an answer to a request with `method` and `version`.
    /// - `keepAlive`: whether the connection stays open afterwards.
    /// - `date`: the IMF-fixdate of now (RFC 9110 §6.6.1), cached by the caller.
    public static func serialize(
        _ response: HTTPResponse, method: String, version: HTTPVersion, keepAlive: Bool, date: String
    ) -> [UInt8] {
        var out: [UInt8] = []
        serialize(response, method: method, version: version, keepAlive: keepAlive, date: date, into: &out)
        return out
    }

    /// Appends the bytes of `response` to `out` (a connection's reused output buffer).
    public static func serialize(
        _ response: HTTPResponse, method: String, version: HTTPVersion, keepAlive: Bool, date: String,
        into out: inout [UInt8]
    ) {
        out.reserveCapacity(out.count + 256 + response.body.count)
        let status = response.status
        if let line = statusLines[status] {
            out.append(contentsOf: line)
        } else {
            out.append(contentsOf: "HTTP/1.1 \(status) \(reasonPhrase(status))\r\n".utf8)
        }
        for field in response.headers where !isFramingField(field.name) {
            appendField(&out, field.name, field.value)
        }
        appendField(&out, "Date", date)
        // RFC 9110 §8.6: no Content-Length in 1xx or 204; a 304 has no content by definition.
        let bodyForbidden = status == 204 || status == 304 || status < 200
        if !bodyForbidden {
            out.append(contentsOf: contentLengthName)
            appendDecimal(&out, response.body.count)
            out.append(13); out.append(10)
        }
        if !keepAlive {
            appendField(&out, "Connection", "close")
        } else if version == .http1_0 {
            appendField(&out, "Connection", "keep-alive")
        }
        out.append(13); out.append(10)
        // RFC 9110 §9.3.2: HEAD gets the GET headers, Content-Length included, and no content.
        if method != "HEAD" && !bodyForbidden {
            out.append(contentsOf: response.body)
        }
    }

    /// The fields the server owns and writes itself.
    private static func isFramingField(_ name: String) -> Bool {
        switch name.utf8.count {
        case 4: name.equalsIgnoringASCIICase("Date")
        case 10: name.equalsIgnoringASCIICase("Connection")
        case 14: name.equalsIgnoringASCIICase("Content-Length")
        case 17: name.equalsIgnoringASCIICase("Transfer-Encoding")
        default: false
        }
    }

    private static func appendField(_ out: inout [UInt8], _ name: String, _ value: String) {
        name.withUTF8Bytes { out.append(contentsOf: $0) }
        out.append(58); out.append(32)
        // A handler that puts CR or LF into a value would split the response; drop those bytes.
        value.withUTF8Bytes { bytes in
            if bytes.contains(where: { $0 == 13 || $0 == 10 }) {
                for byte in bytes where byte != 13 && byte != 10 { out.append(byte) }
            } else {
                out.append(contentsOf: bytes)
            }
        }
        out.append(13); out.append(10)
    }

    private static func appendDecimal(_ out: inout [UInt8], _ value: Int) {
        var digits:
            (
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
            ) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { buffer in
            var rest = max(0, value), start = buffer.count
            repeat {
                start -= 1
                buffer[start] = 48 + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            out.append(contentsOf: buffer[start...])
        }
    }

    private static let contentLengthName = Array("Content-Length: ".utf8)

    /// Status lines of the statuses the application answers, ready to copy.
    private static let statusLines: [Int: [UInt8]] = {
        var lines: [Int: [UInt8]] = [:]
        for status in [
            100, 200, 201, 202, 204, 304, 400, 401, 403, 404, 405, 406, 408, 409, 410, 411, 412, 413, 415, 417,
            422, 428, 429, 431, 500, 501, 503, 505,
        ] {
            lines[status] = Array("HTTP/1.1 \(status) \(reasonPhrase(status))\r\n".utf8)
        }
        return lines
    }()

    /// The interim response sent when a client waits on `Expect: 100-continue`.
    public static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
}

/// IMF-fixdate formatting (RFC 9110 §5.6.7), e.g. `Sun, 22 Nov 2026 09:30:00 GMT`.
public enum HTTPDate {
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    public static func format(_ seconds: Int) -> String {
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return
            "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }

    public static func now() -> String { format(time(nil)) }

    /// Now, formatted at most once a second per thread: workers stamp the responses they write
    /// themselves, and a shared cache would need a lock.
    static func cachedNow() -> String {
        let second = time(nil)
        let cache = caches.value
        if cache.second != second {
            cache.second = second
            cache.text = format(second)
        }
        return cache.text
    }

    private final class DateCache {
        var second = 0
        var text = ""
    }

    private static let caches = PerThread { DateCache() }
}

/// Monotonic time in nanoseconds, for deadlines that must not jump with the wall clock.
@inline(__always) func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}
