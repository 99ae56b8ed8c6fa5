import Core
import Foundation
import Logging
import Routing
import TestSupport
import Testing

@testable import Postgres

/// Prepared statements outlive the schema they were planned against when another instance runs
/// a migration, or a pooler drops the session's statements. Reads and transactions carry on.
@Suite struct StaleStatementTests {
    let logger = Logger(label: "test")

    @Test func readOutsideATransaction_isPreparedAgain_afterAColumnIsAdded() throws {
        let url = try TestCluster.freshDatabase()
        let db = try PostgresConnection(connectionString: url)
        defer { db.close() }
        try db.execute(unsafeText: "CREATE TABLE gadget (id int PRIMARY KEY); INSERT INTO gadget VALUES (1)")
        #expect(try db.query("SELECT * FROM gadget WHERE id = \(1)").rows.count == 1)
        // Another instance's migration, on another connection.
        _ = try TestSQL.scalar(url, "ALTER TABLE gadget ADD COLUMN label text NOT NULL DEFAULT 'new'")
        let row = try #require(try db.query("SELECT * FROM gadget WHERE id = \(1)").first)
        #expect(try row.decode("label", as: String.self) == "new")
        #expect(db.isIdle)
    }

    @Test func droppedStatements_arePreparedAgain() throws {
        let url = try TestCluster.freshDatabase()
        let db = try PostgresConnection(connectionString: url)
        defer { db.close() }
        #expect(try db.query("SELECT \(41) + 1 AS n").first?.decode("n", as: Int.self) == 42)
        try db.execute(unsafeText: "DEALLOCATE ALL")
        #expect(try db.query("SELECT \(41) + 1 AS n").first?.decode("n", as: Int.self) == 42)
    }

    @Test func transaction_runsAgain_whenAMigrationChangedTheRowTypeUnderIt() throws {
        let url = try TestCluster.freshDatabase()
        let pool = ConnectionPool(connectionString: url, options: .init(size: 1), logger: logger)
        defer { pool.close() }
        try pool.transaction { tx in
            try tx.execute("CREATE TABLE gadget (id int PRIMARY KEY, n int NOT NULL)")
            try tx.execute("INSERT INTO gadget VALUES (1, 0)")
        }
        func bump() throws -> Int {
            try pool.transaction { tx in
                let row = try #require(try tx.first("SELECT * FROM gadget WHERE id = \(1) FOR UPDATE"))
                let n: Int = try row.decode("n")
                try tx.execute("UPDATE gadget SET n = \(n + 1) WHERE id = \(1)")
                return n + 1
            }
        }
        #expect(try bump() == 1)
        _ = try TestSQL.scalar(url, "ALTER TABLE gadget ADD COLUMN note text")
        // The cached plan fails inside BEGIN; the whole transaction reruns once, exactly once.
        #expect(try bump() == 2)
        #expect(try TestSQL.scalar(url, "SELECT n FROM gadget") == "2")
        #expect(pool.inUse == 0)
    }

    @Test func staleStatement_thatCannotBeRecovered_answers503_notA500() {
        let error = PostgresError.server(
            .init(
                state: .featureNotSupported, message: "cached plan must not change result type",
                detail: nil, constraint: nil, table: nil, column: nil))
        #expect(error.isRetryable)
        #expect(error.problem.code == .serviceUnavailable)
        let other = PostgresError.server(
            .init(
                state: .featureNotSupported, message: "something else",
                detail: nil, constraint: nil, table: nil, column: nil))
        #expect(!other.isRetryable)
    }
}
