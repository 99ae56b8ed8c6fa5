/// One result row in text format, read by column name with typed decoding. Errors name the
/// column, never its value.
public struct Row: Sendable {
    let columns: ColumnIndex
    let values: [String?]

    /// Column name → position, shared by every row of one result.
    final class ColumnIndex: Sendable {
        let names: [String]
        let positions: [String: Int]

        init(names: [String]) {
            self.names = names
            var positions: [String: Int] = [:]
            for (index, name) in names.enumerated() where positions[name] == nil { positions[name] = index }
            self.positions = positions
        }
    }

    /// The column's value; throws when it is NULL or does not parse.
    public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let value = try decodeIfPresent(column, as: T.self) else {
            throw PostgresError.decoding(column: column, message: "is NULL")
        }
        return value
    }

    /// A text column holding one of an enum's raw values; anything else is a decoding error.
    public func decodeEnum<T: RawRepresentable>(_ column: String, as type: T.Type = T.self) throws -> T where T.RawValue == String {
        guard let value = T(rawValue: try decode(column, as: String.self)) else {
            throw PostgresError.decoding(column: column, message: "is not a known \(T.self)")
        }
        return value
    }

    /// The column's value, nil when NULL.
    public func decodeIfPresent<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T? {
        guard let position = columns.positions[column] else {
            throw PostgresError.decoding(column: column, message: "is not in the result")
        }
        guard let text = values[position] else { return nil }
        do {
            return try T(postgresText: text)
        } catch {
            throw PostgresError.decoding(column: column, message: "\(error.message) (wanted \(T.self))")
        }
    }

    /// The raw text of a column, nil when NULL.
    public func text(_ column: String) -> String? {
        guard let position = columns.positions[column] else { return nil }
        return values[position]
    }

    public var columnNames: [String] { columns.names }
}

/// The rows of a statement plus the number of rows it affected.
public struct QueryResult: Sendable {
    public let rows: [Row]
    public let affectedRows: Int

    public var first: Row? { rows.first }
}
