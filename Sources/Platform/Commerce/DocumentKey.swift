import Foundation
import Routing

/// What a `{id}` path segment names: a UUID, or a document number (API.md "Ids": any `{id}`
/// also accepts the number). Numbers themselves come from a database sequence per document
/// type (a column default like `'CUST-' || lpad(nextval(…)::text, 6, '0')`), so they are unique
/// across instances and never reused.
public enum DocumentKey: Sendable, Equatable {
    case id(UUID)
    case number(String)

    /// Parses a path segment; anything that is neither a UUID nor shaped like `PREFIX-digits`
    /// is a 404 for `resource`, since ids in paths are opaque.
    public init(_ text: String, prefix: String, resource: String) throws {
        if let id = UUID(uuidString: text) {
            self = .id(id)
            return
        }
        let upper = text.uppercased()
        let head = prefix + "-"
        guard upper.hasPrefix(head), upper.count <= head.count + 18,
              upper.dropFirst(head.count).allSatisfy({ $0.isASCII && $0.isNumber }), upper.count > head.count else {
            throw AppError.notFound(resource)
        }
        self = .number(upper)
    }
}

extension Request {
    /// The `{name}` path parameter as a UUID or a document number with `prefix`.
    public func documentKey(_ name: String, prefix: String, resource: String) throws -> DocumentKey {
        try DocumentKey(parameter(name), prefix: prefix, resource: resource)
    }
}
