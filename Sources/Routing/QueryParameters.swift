import Core
import FoundationEssentials

/// The decoded query string: every name with all its values in order (`?tag=a&tag=b`).
/// Typed accessors throw `invalid_parameter` naming the parameter, so handlers never parse text.
public struct QueryParameters: Sendable {
    public private(set) var pairs: [(name: String, value: String)] = []

    public init() {}

    /// Parses a raw query string; nil when an escape is invalid.
    public init?(raw: Substring?) {
        guard let raw, !raw.isEmpty else { return }
        for part in raw.split(separator: "&", omittingEmptySubsequences: true) {
            let name: Substring, value: Substring
            if let eq = part.firstIndex(of: "=") {
                name = part[..<eq]
                value = part[part.index(after: eq)...]
            } else {
                name = part
                value = ""
            }
            guard let n = PercentDecoding.decode(name, plusIsSpace: true),
                let v = PercentDecoding.decode(value, plusIsSpace: true)
            else { return nil }
            pairs.append((n, v))
        }
    }

    public var names: Set<String> { Set(pairs.map(\.name)) }

    /// Every value of `name`.
    public func values(_ name: String) -> [String] { pairs.filter { $0.name == name }.map(\.value) }

    /// The single value of `name`; a repeat is a 400 because it would be ambiguous.
    public func string(_ name: String) throws -> String? {
        let all = values(name)
        guard all.count <= 1 else { throw AppError.invalidParameter(name, "must be given at most once") }
        return all.first
    }

    public func int(_ name: String) throws -> Int? {
        guard let text = try string(name) else { return nil }
        guard let value = Int(text) else { throw AppError.invalidParameter(name, "must be an integer") }
        return value
    }

    public func int64(_ name: String) throws -> Int64? {
        guard let text = try string(name) else { return nil }
        guard let value = Int64(text) else { throw AppError.invalidParameter(name, "must be an integer") }
        return value
    }

    public func bool(_ name: String) throws -> Bool? {
        guard let text = try string(name) else { return nil }
        switch text {
        case "true": return true
        case "false": return false
        default: throw AppError.invalidParameter(name, "must be true or false")
        }
    }

    public func uuid(_ name: String) throws -> UUID? {
        guard let text = try string(name) else { return nil }
        guard let value = UUID(uuidString: text) else { throw AppError.invalidParameter(name, "must be a UUID") }
        return value
    }

    /// A `YYYY-MM-DD` date.
    public func date(_ name: String) throws -> LocalDate? {
        guard let text = try string(name) else { return nil }
        guard let value = LocalDate(text) else { throw AppError.invalidParameter(name, "must be a date (YYYY-MM-DD)") }
        return value
    }

    /// An RFC 3339 timestamp (`2026-11-22T09:30:00Z`, any offset); a bare date means its start in UTC.
    public func timestamp(_ name: String) throws -> Date? {
        guard let text = try string(name) else { return nil }
        if let value = RFC3339.parse(text) { return value }
        if let day = LocalDate(text), let value = RFC3339.parse("\(day)T00:00:00Z") { return value }
        throw AppError.invalidParameter(name, "must be an RFC 3339 timestamp such as 2026-11-22T09:30:00Z")
    }

    /// `sort=field` or `sort=-field` among `fields`; nil when absent.
    public func sort(_ fields: [String]) throws -> (field: String, descending: Bool)? {
        guard let text = try string("sort") else { return nil }
        let descending = text.hasPrefix("-")
        let field = descending ? String(text.dropFirst()) : text
        guard fields.contains(field) else {
            throw AppError.invalidParameter(
                "sort", "must be one of: " + fields.flatMap { [$0, "-" + $0] }.joined(separator: ", "))
        }
        return (field, descending)
    }

    /// A value from a closed set, e.g. `status=open`.
    public func oneOf<T: RawRepresentable & CaseIterable>(_ name: String, _ type: T.Type) throws -> T?
    where T.RawValue == String {
        guard let text = try string(name) else { return nil }
        guard let value = T(rawValue: text) else {
            let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw AppError.invalidParameter(name, "must be one of: \(allowed)")
        }
        return value
    }

    /// A comma-separated list, also accepting the parameter repeated (`types=a,b` or `types=a&types=b`).
    public func list(_ name: String) -> [String] {
        values(name).flatMap { $0.split(separator: ",").map { String($0) } }.filter { !$0.isEmpty }
    }
}
