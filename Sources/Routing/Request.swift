import Core
import FoundationEssentials
import HTTP

/// A key for typed per-request values that upper layers attach (the authenticated principal,
/// the idempotency record), so Routing needs no knowledge of them.
public protocol RequestContextKey {
    associatedtype Value: Sendable
}

/// One request as handlers see it: decoded path and query, the matched route's parameters,
/// the request id, and typed context.
public struct Request: Sendable {
    public let http: HTTPRequest
    /// Percent-decoded path segments (`/customers/a%20b` → `["customers", "a b"]`).
    public let segments: [String]
    public let query: QueryParameters
    /// The id every log line and problem of this request carries.
    public var requestID: String
    /// Values of the matched template's `{name}` segments.
    public internal(set) var parameters: [String: String] = [:]
    /// The matched route's template (`/customers/{id}`), for logs and metrics; nil when unmatched.
    public internal(set) var routeTemplate: String?
    public internal(set) var route: Route?
    /// Methods the matched path supports (for `Allow` and CORS preflight).
    public internal(set) var allowedMethods: [String] = []
    private var context: ContextEntry?

    init(http: HTTPRequest, segments: [String], query: QueryParameters, requestID: String) {
        self.http = http
        self.segments = segments
        self.query = query
        self.requestID = requestID
    }

    public var method: String { http.head.method }
    public var headers: HTTPHeaders { http.head.headers }
    public var body: [UInt8] { http.body }

    public subscript<Key: RequestContextKey>(_ key: Key.Type) -> Key.Value? {
        get {
            let id = ObjectIdentifier(key)
            var entry = context
            while let current = entry {
                if current.key == id { return current.value as? Key.Value }
                entry = current.next
            }
            return nil
        }
        set { context = ContextEntry(key: ObjectIdentifier(key), value: newValue, next: context) }
    }

    /// One context value, in front of those set before it (a setting shadows earlier ones of its
    /// key). A request carries two or three values at most, so a list is searched as fast as a
    /// dictionary is hashed, and setting one is a single allocation where a dictionary's storage
    /// was a generic type the runtime looked up per request; copies of the request share it.
    private final class ContextEntry: Sendable {
        let key: ObjectIdentifier
        let value: (any Sendable)?
        let next: ContextEntry?

        init(key: ObjectIdentifier, value: (any Sendable)?, next: ContextEntry?) {
            self.key = key
            self.value = value
            self.next = next
        }
    }

    /// The path parameter `name` as text; the route guarantees it exists.
    public func parameter(_ name: String) -> String { parameters[name] ?? "" }

    /// The path parameter `name` as a UUID; a malformed one is a 404 (no such resource) rather
    /// than a 400, because ids in paths are opaque to clients.
    public func uuidParameter(_ name: String, resource: String) throws -> UUID {
        guard let id = UUID(uuidString: parameter(name)) else { throw AppError.notFound(resource) }
        return id
    }

    /// The body as JSON, after the `Content-Type` check (415) and strict parsing (400).
    public func jsonBody() throws -> JSONValue {
        let contentType = headers["Content-Type"]?.split(separator: ";").first.map {
            $0.trimmingHTTPWhitespace().lowercased()
        }
        let accepted = method == "PATCH" ? ["application/json", "application/merge-patch+json"] : ["application/json"]
        guard let contentType, accepted.contains(contentType) else {
            throw AppError(
                .unsupportedMediaType, "the request body must be sent as \(accepted.joined(separator: " or "))",
                headers: [("Accept", accepted.joined(separator: ", "))])
        }
        do {
            return try JSONParser.parse(body)
        } catch {
            throw AppError(.malformedJSON, "the request body is not valid JSON: \(error.message)")
        }
    }

    /// Decodes the body into `T`: 415 for another media type, 400 for malformed JSON or
    /// duplicate keys, 422 with every field error (unknown fields included).
    /// `readOnly` names top-level fields the server owns (`id`, `version`, totals): sending one
    /// is a 422 `read_only_field` rather than an unknown field, so the client learns why.
    public func decode<T: Decodable>(_ type: T.Type, readOnly: Set<String> = []) throws -> T {
        try checkedBody(readOnly: readOnly).decodeModel(T.self)
    }

    /// A PATCH body (RFC 7396 merge patch) after the media-type, syntax and read-only checks;
    /// it must be an object. The service applies it to the current record inside its
    /// transaction and decodes the result with `decodeModel`.
    public func mergePatchBody(readOnly: Set<String>) throws -> JSONValue {
        let value = try checkedBody(readOnly: readOnly)
        guard value.objectValue != nil else {
            throw AppError.validation(
                [FieldError(field: "", message: "must be a JSON object")], detail: "a merge patch must be a JSON object"
            )
        }
        return value
    }

    private func checkedBody(readOnly: Set<String>) throws -> JSONValue {
        let value = try jsonBody()
        if let object = value.objectValue {
            let sent = object.keys.filter { readOnly.contains($0) }
            if !sent.isEmpty {
                throw AppError(
                    .readOnlyField, "the request body sets fields the server maintains",
                    errors: sent.map { FieldError(field: $0, message: "is read-only") })
            }
        }
        return value
    }
}
