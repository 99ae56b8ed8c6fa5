/// One problem with one field of a request, as API clients see it in a 422 problem's `errors`.
public struct FieldError: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    /// JSON path in snake_case with 0-based indexes (`lines[1].quantity`,
    /// `billing_address.country`); empty for the body itself.
    public let field: String
    /// Short, human, no trailing period, read after the field name ("is required",
    /// "must be a UUID").
    public let message: String

    /// An error for `field` (a JSON path, a header or a parameter name).
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    /// The message of unknown-field errors, so callers can tell "only unknown fields" (a
    /// client sending extras) from real validation failures.
    public static let unknownFieldMessage = "is not a known field"

    /// `lines[1].quantity must be …`, or just the message for the root.
    public var description: String { field.isEmpty ? message : "\(field) \(message)" }
}

/// Why a `JSONValue` could not become the requested type: either the first decoding error
/// (type, range, missing or model-validation problem), or — only when decoding otherwise
/// succeeded — every member the type did not know, in document order.
public struct JSONDecodingFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// Never empty.
    public let errors: [FieldError]

    /// A failure listing `errors`.
    public init(errors: [FieldError]) {
        self.errors = errors
    }

    /// True when every error is an unknown field: the body was well-typed but had extras.
    public var isOnlyUnknownFields: Bool {
        errors.allSatisfy { $0.message == FieldError.unknownFieldMessage }
    }

    /// All errors, `; `-separated, for logs.
    public var description: String { errors.map(\.description).joined(separator: "; ") }
}
