/// A stable machine-readable error word (API.md "Errors"); clients switch on it.
/// Each code is declared once, with its HTTP status, where the rule that raises it lives; nothing
/// below the routes reads the status, the error middleware does.
public struct ProblemCode: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    /// The HTTP status of every problem with this code.
    public let status: Int

    /// Declares a code. Codes compare by their word alone.
    public init(_ rawValue: String, status: Int) {
        self.rawValue = rawValue
        self.status = status
    }

    public static func == (lhs: ProblemCode, rhs: ProblemCode) -> Bool { lhs.rawValue == rhs.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }
    public var description: String { rawValue }

    public static let badRequest = ProblemCode("bad_request", status: 400)
    public static let malformedJSON = ProblemCode("malformed_json", status: 400)
    public static let invalidParameter = ProblemCode("invalid_parameter", status: 400)
    public static let unknownParameter = ProblemCode("unknown_parameter", status: 400)
    public static let invalidCursor = ProblemCode("invalid_cursor", status: 400)
    public static let unauthorized = ProblemCode("unauthorized", status: 401)
    public static let forbidden = ProblemCode("forbidden", status: 403)
    public static let notFound = ProblemCode("not_found", status: 404)
    public static let methodNotAllowed = ProblemCode("method_not_allowed", status: 405)
    public static let conflict = ProblemCode("conflict", status: 409)
    public static let invalidTransition = ProblemCode("invalid_transition", status: 409)
    public static let idempotencyInProgress = ProblemCode("idempotency_in_progress", status: 409)
    public static let preconditionFailed = ProblemCode("precondition_failed", status: 412)
    public static let payloadTooLarge = ProblemCode("payload_too_large", status: 413)
    public static let unsupportedMediaType = ProblemCode("unsupported_media_type", status: 415)
    public static let validationFailed = ProblemCode("validation_failed", status: 422)
    public static let unknownField = ProblemCode("unknown_field", status: 422)
    public static let readOnlyField = ProblemCode("read_only_field", status: 422)
    public static let idempotencyKeyReused = ProblemCode("idempotency_key_reused", status: 422)
    public static let batchFailed = ProblemCode("batch_failed", status: 422)
    public static let notImplemented = ProblemCode("not_implemented", status: 501)
    // Answered by the HTTP server itself, below the router (HTTPResponse.problemCode).
    public static let requestTimeout = ProblemCode("request_timeout", status: 408)
    public static let headersTooLarge = ProblemCode("headers_too_large", status: 431)
    public static let httpVersionNotSupported = ProblemCode("http_version_not_supported", status: 505)
    public static let rateLimited = ProblemCode("rate_limited", status: 429)
    public static let internalError = ProblemCode("internal_error", status: 500)
    public static let serviceUnavailable = ProblemCode("service_unavailable", status: 503)

    /// The codes every layer may raise, whatever modules are wired.
    public static let common: [ProblemCode] = [
        .badRequest, .malformedJSON, .invalidParameter, .unknownParameter, .invalidCursor, .unauthorized, .forbidden,
        .notFound, .methodNotAllowed, .conflict, .invalidTransition, .idempotencyInProgress, .preconditionFailed,
        .payloadTooLarge, .unsupportedMediaType, .validationFailed, .unknownField, .readOnlyField,
        .idempotencyKeyReused, .batchFailed, .notImplemented, .requestTimeout, .headersTooLarge,
        .httpVersionNotSupported, .rateLimited, .internalError, .serviceUnavailable,
    ]

    /// The problem `type` URI: `/problems/insufficient-stock`.
    public var typeURI: String { "/problems/" + slug }

    /// The code's word with hyphens (`insufficient-stock`), as in its `type` URI.
    public var slug: String { rawValue.replacingOccurrences(of: "_", with: "-") }

    /// A short title shared by every problem with this code.
    public var title: String {
        rawValue.split(separator: "_").enumerated()
            .map { $0.offset == 0 ? $0.element.prefix(1).uppercased() + $0.element.dropFirst() : String($0.element) }
            .joined(separator: " ")
    }
}

/// Every problem code the running application can answer: the common ones and each module's
/// own, collected once while the application is wired and never changed after, so
/// `/problems/{code}` describes exactly the codes clients can meet.
public struct ProblemRegistry: Sendable {
    private let bySlug: [String: ProblemCode]
    /// The codes, in the order they were declared.
    public let codes: [ProblemCode]

    /// The registry of `ProblemCode.common` plus `modules`' codes. A word declared twice with
    /// two statuses is a wiring mistake and stops start-up.
    public init(modules: [[ProblemCode]]) {
        var codes: [ProblemCode] = []
        var bySlug: [String: ProblemCode] = [:]
        for code in ProblemCode.common + modules.joined() {
            if let known = bySlug[code.slug] {
                precondition(known.status == code.status, "problem code \(code) declared with two statuses")
                continue
            }
            bySlug[code.slug] = code
            codes.append(code)
        }
        self.codes = codes
        self.bySlug = bySlug
    }

    /// The code whose `typeURI` ends in `slug` (`insufficient-stock`), if any.
    public func code(slug: String) -> ProblemCode? { bySlug[slug] }
}
