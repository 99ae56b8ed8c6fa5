/// One result row in text format, read by column name with typed decoding. Errors name the
/// column, never its value.
public struct Row: Sendable {
    @usableFromInline let cells: ResultCells
    @usableFromInline let row: Int

    init(cells: ResultCells, row: Int) {
        self.cells = cells
        self.row = row
    }

    /// The column's value; throws when it is NULL or does not parse.
    @inlinable
    public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let value = try decodeIfPresent(column, as: T.self) else {
            throw PostgresError.decoding(column: column, message: "is NULL")
        }
        return value
    }

    /// A text column holding one of an enum's raw values; anything else is a decoding error.
    @inlinable
    public func decodeEnum<T: RawRepresentable>(_ column: String, as type: T.Type = T.self) throws -> T
    where T.RawValue == String {
        guard let value = T(rawValue: try decode(column, as: String.self)) else {
            throw PostgresError.decoding(column: column, message: "is not a known \(T.self)")
        }
        return value
    }

    /// The column's value, nil when NULL.
    ///
    /// Inlinable so that it is specialised for `T` where rows are read: unspecialised, every
    /// call looks up the runtime metadata of `T?`, which costs more than parsing the value.
    @inlinable
    public func decodeIfPresent<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T? {
        guard let position = cells.columns.position(of: column) else {
            throw PostgresError.decoding(column: column, message: "is not in the result")
        }
        // The bytes belong to `cells`, which must outlive their last read, not just its last use.
        defer { withExtendedLifetime(cells) {} }
        guard let bytes = cells.value(row: row, column: position) else { return nil }
        do throws(PostgresValueError) {
            return try T(postgresTextBytes: bytes)
        } catch {
            throw PostgresError.decoding(column: column, message: "\(error.message) (wanted \(T.self))")
        }
    }

    /// The raw text of a column, nil when NULL.
    public func text(_ column: String) -> String? {
        guard let position = cells.columns.position(of: column) else { return nil }
        defer { withExtendedLifetime(cells) {} }
        return cells.value(row: row, column: position).map { String(decoding: $0, as: UTF8.self) }
    }

    public var columnNames: [String] { cells.columns.names }
}

/// The rows of a statement plus the number of rows it affected.
public struct QueryResult: Sendable {
    public let rows: [Row]
    public let affectedRows: Int

    public var first: Row? { rows.first }
}
