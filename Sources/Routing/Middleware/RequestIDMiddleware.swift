import Core
import Synchronization

/// API.md: every response carries `X-Request-Id` — the client's when it is 1–128 characters of
/// `[A-Za-z0-9._:-]`, else a new one — and so does every log line and problem.
public struct RequestIDMiddleware: Middleware {
    public init() {}

    public func handle(_ request: Request, next: (Request) throws -> Response) throws -> Response {
        var response = try next(request)
        response.headers.set("X-Request-Id", request.requestID)
        return response
    }

    /// The id to use for a request carrying `header`.
    public static func requestID(from header: String?) -> String {
        if let header, isAcceptable(header) { return header }
        return generate()
    }

    static func isAcceptable(_ id: String) -> Bool {
        let bytes = id.utf8
        guard (1...128).contains(bytes.count) else { return false }
        return bytes.allSatisfy { b in
            (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 46 || b == 95 || b == 58
                || b == 45
        }
    }

    /// 32 hex digits: this process's random 64-bit prefix, then a counter. Unique across
    /// instances without coordination, and no system call per request (a random id each time
    /// would cost a getrandom call on the hot path).
    static func generate() -> String {
        let sequence = counter.wrappingAdd(1, ordering: .relaxed).newValue
        return String(unsafeUninitializedCapacity: 32) { text in
            writeHex(processPrefix, into: text, at: 0)
            writeHex(sequence, into: text, at: 16)
            return 32
        }
    }

    private static let processPrefix: UInt64 = {
        var generator = SystemRandomNumberGenerator()
        return generator.next()
    }()
    private static let counter = Atomic<UInt64>(0)

    /// 16 lower-case hex digits of `value`, zero-padded.
    private static func writeHex(_ value: UInt64, into text: UnsafeMutableBufferPointer<UInt8>, at offset: Int) {
        var rest = value
        for position in stride(from: offset + 15, through: offset, by: -1) {
            let digit = UInt8(rest & 15)
            text[position] = digit < 10 ? 48 + digit : 87 + digit
            rest >>= 4
        }
    }
}
