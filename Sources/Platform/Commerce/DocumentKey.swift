import Core
import FoundationEssentials
import Postgres
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
        let digits = upper.dropFirst(head.count).drop { $0 == "0" }
        guard upper.hasPrefix(head), upper.count > head.count, digits.count <= 18,
            upper.dropFirst(head.count).allSatisfy({ $0.isASCII && $0.isNumber }),
            let value = Int64(digits.isEmpty ? "0" : String(digits))
        else {
            throw AppError.notFound(resource)
        }
        self = .number(Self.format(prefix: prefix, value))
    }

    /// The canonical number text: at least six digits (`CUST-000042`), so `CUST-42` finds it too.
    /// Matches the database function `document_number`.
    public static func format(prefix: String, _ value: Int64) -> String {
        let digits = String(value)
        return "\(prefix)-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }
}

extension Request {
    /// The `{name}` path parameter as a UUID or a document number with `prefix`.
    public func documentKey(_ name: String, prefix: String, resource: String) throws -> DocumentKey {
        try DocumentKey(parameter(name), prefix: prefix, resource: resource)
    }
}

extension DocumentKey {
    /// `id = $1` or `number = $1`: the condition that finds the document in its table.
    public var condition: SQL {
        switch self {
        case .id(let id): "id = \(id)"
        case .number(let number): "number = \(number)"
        }
    }
}

extension DocumentKey {
    /// `condition`, and the request's scope for a table with owners: a record outside the
    /// caller's scope is not found, as if it did not exist (API.md "Permissions").
    public func condition(visible rule: RecordScope.Rule) -> SQL {
        guard let scoped = RecordScope.current.condition(rule) else { return condition }
        return condition + " AND " + scoped
    }
}
