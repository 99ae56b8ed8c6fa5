import Foundation
import Postgres

/// Direct SQL for assertions about what is stored (never to set up state the API should make).
public enum TestSQL {
    /// The first column of the first row as text ("" when none).
    public static func scalar(_ connectionString: String, _ text: String) throws -> String {
        let connection = try PostgresConnection(connectionString: connectionString)
        defer { connection.close() }
        let result = try connection.query(SQL(unsafeRaw: text))
        guard let row = result.rows.first, let column = row.columnNames.first else { return "" }
        return row.text(column) ?? ""
    }

    public static func execute(_ connectionString: String, _ text: String) throws {
        let connection = try PostgresConnection(connectionString: connectionString)
        defer { connection.close() }
        try connection.execute(unsafeText: text)
    }
}

extension TestSQL {
    /// The first column of every row as text (e.g. the lines of an `EXPLAIN`).
    public static func lines(_ connectionString: String, _ text: String) throws -> [String] {
        let connection = try PostgresConnection(connectionString: connectionString)
        defer { connection.close() }
        let result = try connection.query(SQL(unsafeRaw: text))
        return result.rows.compactMap { row in row.columnNames.first.flatMap { row.text($0) } }
    }
}
