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
            (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 46 || b == 95 || b == 58 || b == 45
        }
    }

    /// 32 hex digits: this process's random 64-bit prefix, then a counter. Unique across
    /// instances without coordination, and no system call per request (a random id each time
    /// would cost a getrandom call on the hot path).
    static func generate() -> String {
        hex16(processPrefix) + hex16(counter.wrappingAdd(1, ordering: .relaxed).newValue)
    }

    private static let processPrefix: UInt64 = {
        var generator = SystemRandomNumberGenerator()
        return generator.next()
    }()
    private static let counter = Atomic<UInt64>(0)

    private static func hex16(_ value: UInt64) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: 16 - text.utf8.count) + text
    }
}
