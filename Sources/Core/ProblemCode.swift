/// A stable machine-readable error word (API.md "Errors"); clients switch on it.
/// Each code is declared once, with the kind of failure it is, where the rule that raises it
/// lives; the HTTP status of each kind is one table in Routing (`ProblemCode.status`), so
/// nothing below the routes knows status numbers.
public struct ProblemCode: Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, in the terms the HTTP status table maps.
    public enum Kind: Sendable, Equatable {
        case badRequest, unauthorized, forbidden, notFound, methodNotAllowed, requestTimeout
        /// The request conflicts with the state of a resource (a duplicate, the wrong state, …).
        case conflict
        case preconditionFailed, payloadTooLarge, unsupportedMediaType
        /// The request is well-formed but its content breaks a rule.
        case unprocessable
        case tooManyRequests, headersTooLarge, internalError, notImplemented, unavailable, versionNotSupported
    }

    public let rawValue: String
    public let kind: Kind

    /// Declares a code. Codes compare by their word alone.
    public init(_ rawValue: String, _ kind: Kind) {
        self.rawValue = rawValue
        self.kind = kind
    }

    public static func == (lhs: ProblemCode, rhs: ProblemCode) -> Bool { lhs.rawValue == rhs.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }
    public var description: String { rawValue }

    public static let badRequest = ProblemCode("bad_request", .badRequest)
    public static let malformedJSON = ProblemCode("malformed_json", .badRequest)
    public static let invalidParameter = ProblemCode("invalid_parameter", .badRequest)
    public static let unknownParameter = ProblemCode("unknown_parameter", .badRequest)
    public static let invalidCursor = ProblemCode("invalid_cursor", .badRequest)
    public static let invalidConsistencyToken = ProblemCode("invalid_consistency_token", .badRequest)
    public static let unauthorized = ProblemCode("unauthorized", .unauthorized)
    public static let forbidden = ProblemCode("forbidden", .forbidden)
    public static let notFound = ProblemCode("not_found", .notFound)
    public static let methodNotAllowed = ProblemCode("method_not_allowed", .methodNotAllowed)
    public static let conflict = ProblemCode("conflict", .conflict)
    public static let invalidTransition = ProblemCode("invalid_transition", .conflict)
    public static let idempotencyInProgress = ProblemCode("idempotency_in_progress", .conflict)
    public static let preconditionFailed = ProblemCode("precondition_failed", .preconditionFailed)
    public static let payloadTooLarge = ProblemCode("payload_too_large", .payloadTooLarge)
    public static let unsupportedMediaType = ProblemCode("unsupported_media_type", .unsupportedMediaType)
    public static let validationFailed = ProblemCode("validation_failed", .unprocessable)
    public static let unknownField = ProblemCode("unknown_field", .unprocessable)
    public static let readOnlyField = ProblemCode("read_only_field", .unprocessable)
    public static let idempotencyKeyReused = ProblemCode("idempotency_key_reused", .unprocessable)
    public static let batchFailed = ProblemCode("batch_failed", .unprocessable)
    public static let notImplemented = ProblemCode("not_implemented", .notImplemented)
    // Answered by the HTTP server itself, below the router (HTTPResponse.problemCode).
    public static let requestTimeout = ProblemCode("request_timeout", .requestTimeout)
    public static let headersTooLarge = ProblemCode("headers_too_large", .headersTooLarge)
    public static let httpVersionNotSupported = ProblemCode("http_version_not_supported", .versionNotSupported)
    public static let rateLimited = ProblemCode("rate_limited", .tooManyRequests)
    public static let internalError = ProblemCode("internal_error", .internalError)
    public static let serviceUnavailable = ProblemCode("service_unavailable", .unavailable)

    /// The codes every layer may raise, whatever modules are wired.
    public static let common: [ProblemCode] = [
        .badRequest, .malformedJSON, .invalidParameter, .unknownParameter, .invalidCursor, .invalidConsistencyToken,
        .unauthorized, .forbidden,
        .notFound, .methodNotAllowed, .conflict, .invalidTransition, .idempotencyInProgress, .preconditionFailed,
        .payloadTooLarge, .unsupportedMediaType, .validationFailed, .unknownField, .readOnlyField,
        .idempotencyKeyReused, .batchFailed, .notImplemented, .requestTimeout, .headersTooLarge,
        .httpVersionNotSupported, .rateLimited, .internalError, .serviceUnavailable,
    ]

    /// The problem `type` URI: `/problems/insufficient-stock`.
    public var typeURI: String { "/problems/" + slug }

    /// The code's word with hyphens (`insufficient-stock`), as in its `type` URI.
    public var slug: String { rawValue.replacingAll("_", with: "-") }

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

    /// The registry of `ProblemCode.common` plus `modules`' codes. A word declared twice as
    /// two kinds is a wiring mistake and stops start-up.
    public init(modules: [[ProblemCode]]) {
        var codes: [ProblemCode] = []
        var bySlug: [String: ProblemCode] = [:]
        for code in ProblemCode.common + modules.joined() {
            if let known = bySlug[code.slug] {
                precondition(known.kind == code.kind, "problem code \(code) declared as two kinds")
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
