import CLibPQ
import Core
import Foundation
import Routing
import Testing

@testable import Postgres

/// Rows copied out of libpq's results and the column index kept per prepared statement, on
/// results built in memory with libpq's own constructors.
@Suite struct RowTests {
    /// A text-format result with these columns and cells (nil is NULL), as libpq would hand it over.
    static func result(_ names: [String], _ rows: [[String?]] = []) -> OpaquePointer {
        let result = PQmakeEmptyPGresult(nil, PGRES_TUPLES_OK)!
        var attributes = names.map { name in
            PGresAttDesc(name: strdup(name), tableid: 0, columnid: 0, format: 0, typid: 25, typlen: -1, atttypmod: -1)
        }
        PQsetResultAttrs(result, Int32(names.count), &attributes)
        for attribute in attributes { free(attribute.name) }
        for (r, row) in rows.enumerated() {
            for (c, value) in row.enumerated() {
                if let value {
                    var bytes = Array(value.utf8CString)
                    PQsetvalue(result, Int32(r), Int32(c), &bytes, Int32(value.utf8.count))
                } else {
                    PQsetvalue(result, Int32(r), Int32(c), nil, -1)
                }
            }
        }
        return result
    }

    static func rows(_ names: [String], _ values: [[String?]]) -> [Row] {
        let result = result(names, values)
        // The rows own the result from here; it is cleared when the last of them goes.
        let cells = ResultCells(taking: result, columns: Row.ColumnIndex.of(result, reusing: nil))
        return (0..<cells.rowCount).map { Row(cells: cells, row: $0) }
    }

    @Test func rows_keepTheirResult_andKeepNullApartFromEmptyText() throws {
        let rows = Self.rows(
            ["id", "note", "count"],
            [["1", nil, "10"], ["2", "", "ünï ✓"], [nil, "long " + String(repeating: "x", count: 3_000), "-3"]])
        #expect(rows.count == 3)
        #expect(try rows[0].decode("id", as: Int.self) == 1)
        #expect(try rows[0].decodeIfPresent("note", as: String.self) == nil)
        #expect(rows[0].text("note") == nil)
        #expect(try rows[1].decode("note", as: String.self) == "")
        #expect(rows[1].text("count") == "ünï ✓")
        #expect(try rows[2].decodeIfPresent("id", as: Int.self) == nil)
        #expect(try rows[2].decode("note", as: String.self).count == 3_005)
        #expect(try rows[2].decode("count", as: Int.self) == -3)
        #expect(rows[2].columnNames == ["id", "note", "count"])
    }

    @Test func emptyResult_hasColumnsAndNoRows() {
        let result = Self.result(["a", "b"])
        let cells = ResultCells(taking: result, columns: Row.ColumnIndex.of(result, reusing: nil))
        #expect(cells.rowCount == 0)
        #expect(cells.columns.names == ["a", "b"])
    }

    @Test func decodingErrors_nameTheColumn_neverTheValue() throws {
        let row = Self.rows(["secret", "missing_not"], [["hunter2", nil]])[0]
        for (column, attempt) in [
            ("secret", { _ = try row.decode("secret", as: Int.self) }),
            ("missing_not", { _ = try row.decode("missing_not", as: String.self) }),
            ("absent", { _ = try row.decodeIfPresent("absent", as: String.self) }),
        ] as [(String, () throws -> Void)] {
            do {
                try attempt()
                Issue.record("\(column) decoded")
            } catch let error as PostgresError {
                guard case .decoding(let named, _) = error else { Issue.record("\(error)"); continue }
                #expect(named == column)
                #expect(!"\(error)".contains("hunter2"))
            }
        }
    }

    @Test func columnIndex_isReused_onlyForTheSameNamesInTheSameOrder() {
        func index(_ names: [String], reusing cached: Row.ColumnIndex?) -> Row.ColumnIndex {
            let result = Self.result(names)
            defer { PQclear(result) }
            return Row.ColumnIndex.of(result, reusing: cached)
        }
        let first = index(["id", "name"], reusing: nil)
        #expect(index(["id", "name"], reusing: first) === first)
        for other in [
            ["id", "title"], ["name", "id"], ["id"], ["id", "name", "extra"], ["id", "nam"], ["id", "names"],
            ["id", "namé"],
        ] {
            let replaced = index(other, reusing: first)
            #expect(replaced !== first)
            #expect(replaced.names == other)
        }
    }

    @Test func lookups_findEveryColumn_andTheFirstOfRepeatedNames() {
        for width in [3, 24, 25, 60] {
            let names = (0..<width).map { "column_\($0)" } + ["column_0", "ünïcode_name"]
            let index = Row.ColumnIndex(names: names)
            for (position, name) in names.enumerated().dropLast(2) { #expect(index.position(of: name) == position) }
            #expect(index.position(of: "column_0") == 0)
            #expect(index.position(of: "ünïcode_name") == names.count - 1)
            #expect(index.position(of: "column") == nil)
            #expect(index.position(of: "") == nil)
        }
    }
}
