/// The one application error: a problem code, a human detail, field errors and the figures a
/// client needs (`shortages`, `credit`, `current_version`), rendered as RFC 9457
/// problem+json by the error middleware.
public struct AppError: Error, Sendable, CustomStringConvertible {
    public var code: ProblemCode
    public var detail: String
    public var errors: [FieldError]
    /// Extra members of the problem object (API.md names them per code).
    public var extra: JSONObject
    /// Headers the answer must carry (`Allow`, `Retry-After`, `WWW-Authenticate`, `ETag`).
    public var headers: [(String, String)]

    public init(
        _ code: ProblemCode, _ detail: String, errors: [FieldError] = [], extra: JSONObject = JSONObject([]),
        headers: [(String, String)] = []
    ) {
        self.code = code
        self.detail = detail
        self.errors = errors
        self.extra = extra
        self.headers = headers
    }

    public var description: String { "\(code.rawValue): \(detail)" }

    public static func notFound(_ what: String) -> AppError { AppError(.notFound, "\(what) not found") }

    public static func validation(_ errors: [FieldError], detail: String = "the request has invalid fields") -> AppError
    {
        AppError(.validationFailed, detail, errors: errors)
    }

    public static func invalidParameter(_ name: String, _ message: String) -> AppError {
        AppError(
            .invalidParameter, "query or path parameter '\(name)' \(message)",
            errors: [FieldError(field: name, message: message)])
    }
}

/// An error from a lower layer (the database pool, a domain rule) that knows which problem it is.
public protocol ProblemConvertible: Error {
    var problem: AppError { get }
}
