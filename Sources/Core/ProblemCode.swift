/// A stable machine-readable error word (API.md "Errors"); clients switch on it.
/// Its HTTP status lives in exactly one table, `status`, so nothing below the routes knows
/// status numbers.
public struct ProblemCode: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }

    public static let badRequest: ProblemCode = "bad_request"
    public static let malformedJSON: ProblemCode = "malformed_json"
    public static let invalidParameter: ProblemCode = "invalid_parameter"
    public static let unknownParameter: ProblemCode = "unknown_parameter"
    public static let invalidCursor: ProblemCode = "invalid_cursor"
    public static let unauthorized: ProblemCode = "unauthorized"
    public static let forbidden: ProblemCode = "forbidden"
    public static let notFound: ProblemCode = "not_found"
    public static let methodNotAllowed: ProblemCode = "method_not_allowed"
    public static let conflict: ProblemCode = "conflict"
    public static let invalidTransition: ProblemCode = "invalid_transition"
    public static let idempotencyInProgress: ProblemCode = "idempotency_in_progress"
    public static let preconditionFailed: ProblemCode = "precondition_failed"
    public static let payloadTooLarge: ProblemCode = "payload_too_large"
    public static let unsupportedMediaType: ProblemCode = "unsupported_media_type"
    public static let validationFailed: ProblemCode = "validation_failed"
    public static let unknownField: ProblemCode = "unknown_field"
    public static let readOnlyField: ProblemCode = "read_only_field"
    public static let idempotencyKeyReused: ProblemCode = "idempotency_key_reused"
    public static let notImplemented: ProblemCode = "not_implemented"
    // Answered by the HTTP server itself, below the router (HTTPResponse.problemCode).
    public static let requestTimeout: ProblemCode = "request_timeout"
    public static let headersTooLarge: ProblemCode = "headers_too_large"
    public static let httpVersionNotSupported: ProblemCode = "http_version_not_supported"
    public static let rateLimited: ProblemCode = "rate_limited"
    public static let internalError: ProblemCode = "internal_error"
    public static let serviceUnavailable: ProblemCode = "service_unavailable"

    /// The one code → status table. Codes not listed are 409 state conflicts
    /// (`insufficient_stock`, `duplicate_customer`, `credit_limit_exceeded`, …) unless a module
    /// registers otherwise with `ProblemCode.register`.
    public var status: Int {
        switch self {
        case .badRequest, .malformedJSON, .invalidParameter, .unknownParameter, .invalidCursor: 400
        case .unauthorized: 401
        case .forbidden: 403
        case .notFound: 404
        case .methodNotAllowed: 405
        case .requestTimeout: 408
        case .preconditionFailed: 412
        case .payloadTooLarge: 413
        case .unsupportedMediaType: 415
        case .validationFailed, .unknownField, .readOnlyField, .idempotencyKeyReused: 422
        case .rateLimited: 429
        case .headersTooLarge: 431
        case .internalError: 500
        case .notImplemented: 501
        case .serviceUnavailable: 503
        case .httpVersionNotSupported: 505
        default: ProblemCode.registered[self] ?? 409
        }
    }

    /// Statuses of codes that modules add and that are not 409s (e.g. a 422 domain rule).
    /// Filled once at start-up, before the server runs.
    nonisolated(unsafe) private static var registered: [ProblemCode: Int] = [:]

    /// Declares the status of a module's own code. Call only while wiring the application.
    public static func register(_ code: ProblemCode, status: Int) { registered[code] = status }

    /// Every code with a known status: the built-in ones and those modules registered. Served
    /// under `/problems/{code}` so a problem's `type` link leads somewhere.
    public static var known: [ProblemCode] {
        let builtIn: [ProblemCode] = [
            .badRequest, .malformedJSON, .invalidParameter, .unknownParameter, .invalidCursor, .unauthorized, .forbidden,
            .notFound, .methodNotAllowed, .conflict, .invalidTransition, .idempotencyInProgress, .preconditionFailed,
            .payloadTooLarge, .unsupportedMediaType, .validationFailed, .unknownField, .readOnlyField,
            .idempotencyKeyReused, .notImplemented, .requestTimeout, .headersTooLarge, .httpVersionNotSupported,
            .rateLimited, .internalError, .serviceUnavailable,
        ]
        return builtIn + registered.keys.sorted { $0.rawValue < $1.rawValue }
    }

    /// The code whose `typeURI` ends in `slug` (`insufficient-stock`), if known.
    public static func fromSlug(_ slug: String) -> ProblemCode? {
        known.first { $0.rawValue == slug.replacingOccurrences(of: "-", with: "_") }
    }

    /// The problem `type` URI: `/problems/insufficient-stock`.
    public var typeURI: String { "/problems/" + rawValue.replacingOccurrences(of: "_", with: "-") }

    /// A short title shared by every problem with this code.
    public var title: String {
        rawValue.split(separator: "_").enumerated()
            .map { $0.offset == 0 ? $0.element.prefix(1).uppercased() + $0.element.dropFirst() : String($0.element) }
            .joined(separator: " ")
    }
}
