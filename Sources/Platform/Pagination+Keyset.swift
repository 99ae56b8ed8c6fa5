import FoundationEssentials
import Postgres

/// The SQL half of keyset pagination (API.md "Lists"): rows after a cursor's position in
/// `(sort column, id)` order, one more than the page so `PageRequest.page` can tell whether
/// more exist. Every list in every store goes through it.
public struct Keyset: Sendable {
    let column: SQL
    /// `::type` after the cursor's key, or nothing.
    let cast: String
    let id: SQL

    /// - column: the sort expression (code-chosen SQL such as `lower(name)`, never input).
    /// - cast: the type the cursor's key text is read as (`timestamptz`, `uuid`); nil leaves
    ///   it to the comparison.
    /// - id: the tie-breaker column the cursor's id is compared with.
    public init(_ column: String, cast: String?, id: String = "id") {
        self.column = SQL(unsafeRaw: column)
        self.id = SQL(unsafeRaw: id)
        self.cast = cast.map { "::" + $0 } ?? ""
    }

    /// By creation time, the order of most lists.
    public static let createdAt = Keyset("created_at", cast: "timestamptz")

    /// `(column, id) > (key, id)`, or `<` when the list runs backwards.
    public func condition(after position: (key: String, id: UUID), descending: Bool) -> SQL {
        let comparison = SQL(unsafeRaw: descending ? "<" : ">")
        return "(\(column), \(id)) \(comparison) (\(position.key)\(unsafeRaw: cast), \(position.id))"
    }

    /// `WHERE … ORDER BY column, id LIMIT limit+1`: the filter `conditions`, the rows the
    /// request's scope sees when the table has owners (`visible`, see `RecordScope`), and the
    /// position after the cursor, in one direction.
    public func clause(
        _ conditions: [SQL], visible rule: RecordScope.Rule? = nil, after position: (key: String, id: UUID)?,
        descending: Bool = false, limit: Int
    ) -> SQL {
        var all = conditions
        if let rule, let scoped = RecordScope.current.condition(rule) { all.append(scoped) }
        if let position { all.append(condition(after: position, descending: descending)) }
        let filter: SQL = all.isEmpty ? "" : "WHERE " + SQL.join(all, separator: " AND ")
        let direction = SQL(unsafeRaw: descending ? "DESC" : "ASC")
        return "\(filter) ORDER BY \(column) \(direction), \(id) \(direction) LIMIT \(limit + 1)"
    }
}

extension Keyset {
    /// By name, case-insensitively (customers and suppliers sorted `name`).
    public static let lowerName = Keyset("lower(name)", cast: "text")
}
