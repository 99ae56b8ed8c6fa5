import Foundation
import Postgres

/// Holds an `ACCESS EXCLUSIVE` lock on a table in an open transaction, so a request that reads
/// the table stays in flight (its worker waiting on the lock) until `release()`: for tests of
/// what happens to in-flight requests (shutdown, signals).
public final class TableLock: @unchecked Sendable {
    private let connection: PostgresConnection
    private let databaseURL: String
    private var held = true

    public init(_ table: String, databaseURL: String) throws {
        self.databaseURL = databaseURL
        connection = try PostgresConnection(connectionString: databaseURL)
        try connection.execute(unsafeText: "BEGIN; LOCK TABLE \(table) IN ACCESS EXCLUSIVE MODE")
    }

    /// Waits (up to `timeout` seconds) until `count` other sessions wait on a lock; false if
    /// they never do.
    public func waitForWaiters(_ count: Int = 1, timeout: Double = 10) throws -> Bool {
        try eventually(timeout: timeout) {
            let waiting = try TestSQL.scalar(
                databaseURL,
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")
            return Int(waiting) ?? 0 >= count
        }
    }

    public func release() throws {
        guard held else { return }
        held = false
        try connection.execute(unsafeText: "COMMIT")
        connection.close()
    }

    deinit { if held { connection.close() } }
}
