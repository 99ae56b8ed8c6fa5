import Core
import Foundation
import Logging
import Postgres
import Routing
import Synchronization
import TestSupport
import Testing

/// The pool and transactions against a real PostgreSQL.
@Suite struct PoolTests {
    let logger = Logger(label: "test")

    @Test func manyThreads_smallPool_allSucceed_andNothingLeaks() throws {
        let url = try TestCluster.freshDatabase()
        let pool = ConnectionPool(connectionString: url, options: .init(size: 3, checkoutTimeout: 20), logger: logger)
        defer { pool.close() }
        _ = try pool.transaction { tx in try tx.execute("CREATE TABLE tally (n int NOT NULL)") }
        let failures = Atomic<Int>(0)
        concurrently(40) { _ in
            for _ in 0..<10 {
                do {
                    _ = try pool.transaction { tx in try tx.execute("INSERT INTO tally VALUES (\(1))") }
                } catch {
                    failures.add(1, ordering: .relaxed)
                }
            }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
        #expect(pool.inUse == 0)
        #expect(
            try pool.transaction { tx in try tx.first("SELECT count(*) AS n FROM tally")!.decode("n", as: Int.self) }
                == 400)
        let open = try TestSQL.scalar(
            url,
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'concord' AND datname = current_database() AND pid <> pg_backend_pid()"
        )
        #expect(Int(open)! <= 3)
    }

    @Test func checkoutTimesOut_whenEveryConnectionIsHeld() throws {
        let url = try TestCluster.freshDatabase()
        let pool = ConnectionPool(connectionString: url, options: .init(size: 1, checkoutTimeout: 0.2), logger: logger)
        defer { pool.close() }
        try pool.withConnection { _ in
            let started = Date()
            #expect {
                try pool.withConnection { _ in }
            } throws: { error in
                if case PostgresError.poolExhausted = error { return true }
                return false
            }
            #expect(Date().timeIntervalSince(started) < 1)
        }
    }

    /// Work a transaction's writers share runs once, inside it, with everything they added;
    /// what it throws rolls the transaction back; outside a transaction it runs at once.
    @Test func beforeCommit_runsOnceBeforeCommit_withEveryShare() throws {
        final class Names { var added: [String] = [] }
        let url = try TestCluster.freshDatabase()
        let pool = ConnectionPool(connectionString: url, options: .init(size: 2), logger: logger)
        defer { pool.close() }
        _ = try pool.transaction { tx in try tx.execute("CREATE TABLE noted (names text NOT NULL)") }
        func note(_ name: String, in tx: Transaction) throws {
            try tx.beforeCommit(Names.init, adding: { $0.added.append(name) }) { names, tx in
                try tx.execute("INSERT INTO noted VALUES (\(names.added.joined(separator: ",")))")
            }
        }
        func rows() throws -> [String] {
            try pool.read { tx in
                try tx.query("SELECT names FROM noted ORDER BY names").rows.map { try $0.decode("names") }
            }
        }
        try pool.transaction { tx in
            try note("a", in: tx)
            try note("b", in: tx)
            #expect(try tx.first("SELECT count(*)::int AS n FROM noted")!.decode("n", as: Int.self) == 0)
        }
        #expect(try rows() == ["a,b"])
        struct Refused: Error {}
        #expect(throws: Refused.self) {
            try pool.transaction { tx in
                try tx.execute("INSERT INTO noted VALUES ('written')")
                try tx.beforeCommit(Names.init, adding: { _ in }) { _, _ in throw Refused() }
            }
        }
        #expect(try rows() == ["a,b"])
        try pool.read { tx in try note("c", in: tx) }
        #expect(try rows() == ["a,b", "c"])
    }

    @Test func throwingBody_rollsBack() throws {
        let url = try TestCluster.freshDatabase()
        let pool = ConnectionPool(connectionString: url, options: .init(size: 2), logger: logger)
        defer { pool.close() }
        _ = try pool.transaction { tx in try tx.execute("CREATE TABLE t (v text)") }
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            try pool.transaction { tx in
                try tx.execute("INSERT INTO t VALUES (\("kept?"))")
                throw Stop()
            }
        }
        #expect(try TestSQL.scalar(url, "SELECT count(*) FROM t") == "0")
        #expect(pool.inUse == 0)
    }

    @Test func serializationFailures_areRetried() throws {
        let url = try TestCluster.freshDatabase()
        let pool = ConnectionPool(
            connectionString: url, options: .init(size: 8, maxTransactionRetries: 20), logger: logger)
        defer { pool.close() }
        try pool.transaction { tx in
            try tx.execute("CREATE TABLE account (id int PRIMARY KEY, balance int NOT NULL)")
            try tx.execute("INSERT INTO account VALUES (1, 0)")
        }
        let attempts = Atomic<Int>(0)
        let failures = Mutex<[String]>([])
        concurrently(8) { _ in
            for _ in 0..<5 {
                do {
                    try pool.transaction { tx in
                        attempts.add(1, ordering: .relaxed)
                        try tx.execute("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")
                        let balance: Int = try tx.first("SELECT balance FROM account WHERE id = 1")!.decode("balance")
                        // Hold the snapshot long enough that concurrent transactions overlap.
                        try tx.execute("SELECT pg_sleep(0.01)")
                        try tx.execute("UPDATE account SET balance = \(balance + 1) WHERE id = 1")
                    }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        #expect(failures.withLock { $0 } == [])
        #expect(pool.retries(.serializationFailure) > 0)
        // Every increment landed despite the conflicts, and some were retried.
        #expect(try TestSQL.scalar(url, "SELECT balance FROM account") == "40")
        #expect(attempts.load(ordering: .relaxed) > 40)
    }

    @Test func uniqueViolation_namesTheConstraint() throws {
        let url = try TestCluster.freshDatabase()
        let pool = ConnectionPool(connectionString: url, options: .init(size: 2), logger: logger)
        defer { pool.close() }
        _ = try pool.transaction { tx in try tx.execute("CREATE TABLE u (email text CONSTRAINT u_email_key UNIQUE)") }
        _ = try pool.transaction { tx in try tx.execute("INSERT INTO u VALUES (\("a@b.c"))") }
        #expect {
            _ = try pool.transaction { tx in try tx.execute("INSERT INTO u VALUES (\("a@b.c"))") }
        } throws: { error in
            guard let error = error as? PostgresError else { return false }
            return error.state == .uniqueViolation && error.constraint == "u_email_key"
                && error.problem.code == .conflict
        }
    }

    @Test func everyParameterKind_roundTrips_andInjectionStaysData() throws {
        let url = try TestCluster.freshDatabase()
        let pool = ConnectionPool(connectionString: url, options: .init(size: 1), logger: logger)
        defer { pool.close() }
        let hostile = "'; DROP TABLE users; -- \" \\ $1"
        let id = UUID()
        let now = Date(timeIntervalSince1970: 1_795_000_000.123456)
        let quantity = try #require(try? ExactDecimal(parsing: "12.345"))
        let json = JSONValue.object(JSONObject([("k", .string(hostile))]))
        let row = try pool.transaction { tx in
            try tx.first(
                """
                SELECT \(hostile)::text AS s, \(42)::int8 AS i, \(Int64(-7)) AS l, \(true) AS b, \(id) AS u, \(now) AS t,
                       \(quantity) AS q, \(json) AS j, \([hostile, "plain"]) AS a, \(nil as String?)::text AS n
                """)!
        }
        #expect(try row.decode("s", as: String.self) == hostile)
        #expect(try row.decode("i", as: Int.self) == 42)
        #expect(try row.decode("l", as: Int64.self) == -7)
        #expect(try row.decode("b", as: Bool.self) == true)
        #expect(try row.decode("u", as: UUID.self) == id)
        #expect(abs(try row.decode("t", as: Date.self).timeIntervalSince(now)) < 0.000_001)
        #expect(try row.decode("q", as: ExactDecimal.self) == quantity)
        #expect(try row.decode("j", as: JSONValue.self) == json)
        #expect(try row.decode("a", as: [String].self) == [hostile, "plain"])
        #expect(try row.decodeIfPresent("n", as: String.self) == nil)
        #expect(throws: PostgresError.self) { try row.decode("n", as: String.self) }
        #expect(throws: PostgresError.self) { try row.decode("s", as: Int.self) }
    }

    /// A nested `transaction` joins the running one on this thread: the outer rollback undoes
    /// the inner write. A second pool's transaction nested inside stays its own and leaves the
    /// first pool's ambient transaction in place afterwards.
    @Test func nestedTransactions_joinTheRunningOne_perPool() throws {
        struct Abort: Error {}
        let url = try TestCluster.freshDatabase()
        let pool = ConnectionPool(connectionString: url, options: .init(size: 2), logger: logger)
        let other = ConnectionPool(connectionString: url, options: .init(size: 2), logger: logger)
        defer { pool.close(); other.close() }
        _ = try pool.transaction { tx in try tx.execute("CREATE TABLE n (v int)") }
        #expect(throws: Abort.self) {
            try pool.transaction { outer in
                let outerPID: Int = try outer.first("SELECT pg_backend_pid() AS p")!.decode("p")
                try pool.transaction { inner in
                    let innerPID: Int = try inner.first("SELECT pg_backend_pid() AS p")!.decode("p")
                    #expect(innerPID == outerPID)
                    try inner.execute("INSERT INTO n VALUES (1)")
                }
                try other.transaction { separate in
                    let separatePID: Int = try separate.first("SELECT pg_backend_pid() AS p")!.decode("p")
                    #expect(separatePID != outerPID)
                    try separate.execute("INSERT INTO n VALUES (2)")
                }
                try pool.read { again in
                    let againPID: Int = try again.first("SELECT pg_backend_pid() AS p")!.decode("p")
                    #expect(againPID == outerPID)
                }
                throw Abort()
            }
        }
        // The outer rollback took the joined insert with it; the other pool's commit stands.
        #expect(try TestSQL.scalar(url, "SELECT string_agg(v::text, ',') FROM n") == "2")
    }
}
