import Core
import Foundation
import Routing
import TestSupport
import Testing

@testable import Postgres

/// Prepared statements, parameter binding and decoding against a real PostgreSQL.
@Suite struct StatementTests {
    func connection() throws -> PostgresConnection {
        try PostgresConnection(connectionString: try TestCluster.freshDatabase())
    }

    @Test func everyType_roundTripsThroughTheServer_andDecodesAsItsText() throws {
        let db = try connection()
        defer { db.close() }
        let id = UUID()
        let moment = Date(timeIntervalSince1970: 1_700_000_000.123456)
        let before1970 = Date(timeIntervalSince1970: -1_234_567.5)
        let json: JSONValue = .object(JSONObject([("a", .array([.number("1"), .string("x"), .null, .bool(true)]))]))
        let row = try #require(
            try db.query(
                """
                SELECT \(Int.max) AS i, \(Int32.min) AS i32, \(Int64(-42)) AS i64, \(true) AS yes, \(false) AS no, \(2.5) AS d,
                       \(id) AS id, \("ünï ✓") AS t, \(ExactDecimal(thousandths: -12_345)) AS amount, \(LocalDate("2024-02-29")!) AS day,
                       \(json) AS doc, \(moment) AS moment, \(before1970) AS early, \(["a", "b c", "d\"e", "NULL"]) AS words,
                       \([id, id]) AS ids, NULL::text AS nothing, ''::text AS empty
                """
            ).first)
        #expect(try row.decode("i", as: Int.self) == Int.max)
        #expect(try row.decode("i32", as: Int32.self) == Int32.min)
        #expect(try row.decode("i64", as: Int64.self) == -42)
        #expect(try row.decode("yes", as: Bool.self) == true)
        #expect(try row.decode("no", as: Bool.self) == false)
        #expect(try row.decode("d", as: Double.self) == 2.5)
        #expect(try row.decode("id", as: UUID.self) == id)
        #expect(try row.decode("t", as: String.self) == "ünï ✓")
        #expect(try row.decode("amount", as: ExactDecimal.self) == ExactDecimal(thousandths: -12_345))
        #expect(try row.decode("day", as: LocalDate.self) == LocalDate("2024-02-29"))
        #expect(try row.decode("doc", as: JSONValue.self) == json)
        #expect(try row.decode("moment", as: Date.self) == moment)
        #expect(try row.decode("early", as: Date.self) == before1970)
        #expect(try row.decode("words", as: [String].self) == ["a", "b c", "d\"e", "NULL"])
        #expect(try row.decode("ids", as: [UUID].self) == [id, id])
        #expect(try row.decodeIfPresent("nothing", as: String.self) == nil)
        #expect(try row.decode("empty", as: String.self) == "")
        // Each value decodes the same from the bytes as from the text the String path saw.
        func same<T: PostgresDecodable & Equatable>(_ column: String, _ type: T.Type) throws {
            #expect(
                try row.decode(column, as: T.self) == (try T(postgresText: try #require(row.text(column)))), "\(column)"
            )
        }
        try same("i", Int.self); try same("i32", Int32.self); try same("i64", Int64.self); try same("yes", Bool.self)
        try same("d", Double.self); try same("id", UUID.self); try same("t", String.self);
        try same("amount", ExactDecimal.self)
        try same("day", LocalDate.self); try same("doc", JSONValue.self); try same("moment", Date.self)
        try same("early", Date.self); try same("words", [String].self); try same("ids", [UUID].self)
    }

    /// Arrays are parsed from their bytes; every kind of element PostgreSQL quotes or escapes
    /// comes back as it went in.
    @Test func textArrays_withQuotedAndEscapedElements_roundTrip() throws {
        let db = try connection()
        defer { db.close() }
        let awkward = [
            "", "NULL", "null", "a,b", "{x}", "back\\slash", "quote\"d", "two  spaces", " lead", "ünï ✓", "日本",
            "new\nline", "tab\there", "\"", "\\", ",", "}",
        ]
        for words in [[], ["plain"], awkward, awkward.reversed()] as [[String]] {
            let row = try #require(try db.query("SELECT \(words) AS words, cardinality(\(words)) AS n").first)
            #expect(try row.decode("words", as: [String].self) == words)
            #expect(try row.decode("n", as: Int.self) == words.count)
        }
        #expect(throws: PostgresValueError.self) { try [String](postgresText: "{a,NULL}") }
        #expect(throws: PostgresValueError.self) { try [String](postgresText: "a,b") }
        #expect(throws: PostgresValueError.self) { try [String](postgresText: "{") }
        #expect(try [String](postgresText: "{\"NULL\"}") == ["NULL"])
    }

    @Test func serverTimestamps_decodeToTheMicrosecond() throws {
        let db = try connection()
        defer { db.close() }
        let rows = try db.query(
            """
            SELECT t, extract(epoch FROM t)::numeric(20,6)::text AS epoch
            FROM unnest(ARRAY['1970-01-01 00:00:00+00', '1999-12-31 23:59:59.999999+00', '2024-02-29 12:00:00.5+00',
                              '1900-03-01 00:00:00.000001+00', '0001-01-01 00:00:00+00']::timestamptz[]) AS t
            """
        ).rows
        #expect(rows.count == 5)
        for row in rows {
            let decoded = try row.decode("t", as: Date.self).timeIntervalSince1970
            let expected = try #require(Double(try row.decode("epoch", as: String.self)))
            #expect(abs(decoded - expected) < 0.000_000_5, "\(row.text("t") ?? "")")
        }
    }

    @Test func parameters_bindNullsEmptyTextUnicodeAndLongText() throws {
        let db = try connection()
        defer { db.close() }
        let values: [String?] =
            [nil, "", "plain", "ünïcödé ✓ 😀", String(repeating: "long ", count: 2_000), nil, "'; DROP TABLE x; --"]
            + (0..<40).map { "p\($0)" }
        var sql = SQL(unsafeRaw: "SELECT ")
        sql.append(
            SQL.join(
                values.enumerated().map { "\($0.element)::text AS c\(unsafeRaw: String($0.offset))" }, separator: ", "))
        let row = try #require(try db.query(sql).first)
        for (index, value) in values.enumerated() {
            #expect(try row.decodeIfPresent("c\(index)", as: String.self) == value)
        }
    }

    @Test func rows_stayReadable_afterLaterQueries_andOnOtherThreads() throws {
        let db = try connection()
        defer { db.close() }
        let rows = try db.query(
            "SELECT n, 'row ' || n AS label, CASE WHEN n % 3 = 0 THEN NULL ELSE n * 2 END AS twice FROM generate_series(1, \(300)) AS n"
        ).rows
        _ = try db.query("SELECT repeat('overwrite', 1000) AS noise")
        concurrently(4) { _ in
            do {
                for (index, row) in rows.enumerated() {
                    let n = index + 1
                    #expect(try row.decode("n", as: Int.self) == n)
                    #expect(try row.decode("label", as: String.self) == "row \(n)")
                    #expect(try row.decodeIfPresent("twice", as: Int.self) == (n % 3 == 0 ? nil : n * 2))
                }
            } catch {
                Issue.record("\(error)")
            }
        }
    }

    @Test func wideResults_findEveryColumnByName() throws {
        let db = try connection()
        defer { db.close() }
        let columns = (0..<40).map { SQL(unsafeRaw: "\($0) * 10 AS column_\($0)") }
        let row = try #require(try db.query("SELECT " + SQL.join(columns, separator: ", ") + ", 7 AS column_0").first)
        for n in 0..<40 { #expect(try row.decode("column_\(n)", as: Int.self) == n * 10) }
    }

    @Test func preparedStatement_keepsOneColumnIndex_acrossExecutions() throws {
        let db = try connection()
        defer { db.close() }
        let first = try #require(try db.query("SELECT \(1) AS a, \("x") AS b").first)
        let second = try #require(try db.query("SELECT \(2) AS a, \("y") AS b").first)
        #expect(first.cells.columns === second.cells.columns)
        #expect(try second.decode("a", as: Int.self) == 2)
        let other = try #require(try db.query("SELECT \(3) AS b, \("z") AS a").first)
        #expect(other.cells.columns !== first.cells.columns)
        #expect(try other.decode("b", as: Int.self) == 3)
        #expect(try other.decode("a", as: String.self) == "z")
    }

    @Test func sameText_withOtherParameterTypes_isAnotherStatement() throws {
        let db = try connection()
        defer { db.close() }
        #expect(try db.query("SELECT \(41) + 1 AS v").first?.decode("v", as: Int.self) == 42)
        #expect(try db.query("SELECT \(2.5) + 1 AS v").first?.decode("v", as: Double.self) == 3.5)
        #expect(try db.query("SELECT \(9) + 1 AS v").first?.decode("v", as: Int.self) == 10)
        #expect(try db.query("SELECT \("a") AS v").first?.decode("v", as: String.self) == "a")
        #expect(try db.query("SELECT \(true) AS v").first?.decode("v", as: Bool.self) == true)
    }

    /// After `ALTER TABLE` the server either refuses the prepared `SELECT *` (SQLSTATE 0A000,
    /// "cached plan must not change result type") or returns the new columns; a row must never
    /// be read through the old statement's column names.
    @Test func alteredTable_neverDecodesTheOldColumns() throws {
        let db = try connection()
        defer { db.close() }
        try db.execute(unsafeText: "CREATE TABLE shape (a text, b text); INSERT INTO shape VALUES ('A', 'B')")
        let before = try #require(try db.query("SELECT * FROM shape").first)
        #expect(try before.decode("a", as: String.self) == "A")
        for change in [
            "ALTER TABLE shape DROP COLUMN a, ADD COLUMN c text; UPDATE shape SET c = 'C'",
            "ALTER TABLE shape RENAME COLUMN b TO z",
        ] {
            try db.execute(unsafeText: change)
            do {
                let row = try #require(try db.query("SELECT * FROM shape").first)
                #expect(row.columnNames != ["a", "b"])
                #expect(throws: PostgresError.self) { try row.decode("a", as: String.self) }
                for name in row.columnNames {
                    #expect(
                        try row.decode(name, as: String.self)
                            == name.uppercased().replacingOccurrences(of: "Z", with: "B"))
                }
            } catch PostgresError.server(let error) {
                #expect(error.state == SQLState(rawValue: "0A000"))
            }
        }
        // A new text is a new statement and sees the table as it is now.
        let after = try #require(try db.query("SELECT z, c FROM shape").first)
        #expect(try after.decode("z", as: String.self) == "B")
        #expect(try after.decode("c", as: String.self) == "C")
    }

    @Test func statementCache_overflowingItsLimit_keepsAnswering() throws {
        let db = try connection()
        defer { db.close() }
        for n in 0..<520 {
            let row = try #require(try db.query("SELECT \(n) AS v, \(unsafeRaw: String(n)) AS literal").first)
            #expect(try row.decode("v", as: Int.self) == n)
            #expect(try row.decode("literal", as: Int.self) == n)
        }
        #expect(try db.query("SELECT \(0) AS v, 0 AS literal").first?.decode("v", as: Int.self) == 0)
    }
}
