import Foundation
import Logging
import Postgres

/// A throwaway primary with every migration applied in its `concord` database and a streaming
/// standby made from it with `pg_basebackup -R`, both on Unix sockets only, both removed by
/// `destroy()` (or at deinit). Tests of read replicas pause its replay, stop and restart it.
public final class ReplicaPair: @unchecked Sendable {
    public let primary: EmbeddedPostgres
    public let standby: EmbeddedPostgres
    public let primaryURL: String
    public let standbyURL: String

    public init() throws {
        primary = try EmbeddedPostgres.throwaway()
        try primary.createDatabase("concord")
        primaryURL = primary.connectionString.replacingOccurrences(of: "dbname=postgres", with: "dbname=concord")
        var logger = Logger(label: "test-migrations")
        logger.logLevel = .warning
        try Migrator.load(directory: TestCluster.repositoryRoot.appendingPathComponent("Migrations"), logger: logger)
            .migrate(connectionString: primaryURL)
        do {
            standby = try primary.throwawayStandby()
        } catch {
            primary.destroy()
            throw error
        }
        standbyURL = standby.connectionString.replacingOccurrences(of: "dbname=postgres", with: "dbname=concord")
    }

    deinit { destroy() }

    /// Stops both clusters and deletes their files.
    public func destroy() {
        standby.destroy()
        primary.destroy()
    }

    /// Runs SQL text on the primary or on the standby and returns its rows.
    @discardableResult
    public func query(_ sql: String, onStandby: Bool) throws -> QueryResult {
        let connection = try PostgresConnection(connectionString: onStandby ? standbyURL : primaryURL)
        defer { connection.close() }
        return try connection.simpleQuery(unsafeText: sql)
    }

    /// Stops applying WAL on the standby (it still receives it): what the standby shows stops
    /// moving until `resumeReplay()`.
    public func pauseReplay() throws {
        let connection = try PostgresConnection(connectionString: standbyURL)
        defer { connection.close() }
        try connection.execute(unsafeText: "SELECT pg_wal_replay_pause()")
    }

    public func resumeReplay() throws {
        let connection = try PostgresConnection(connectionString: standbyURL)
        defer { connection.close() }
        try connection.execute(unsafeText: "SELECT pg_wal_replay_resume()")
    }

    /// Waits until the standby has replayed everything the primary had written when called.
    public func waitForReplay(timeout: Double = 20) throws {
        let primaryConnection = try PostgresConnection(connectionString: primaryURL)
        defer { primaryConnection.close() }
        let target = try primaryConnection.simpleQuery(unsafeText: "SELECT pg_current_wal_lsn()::text AS v").rows
            .first?.decode("v", as: String.self)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let connection = try? PostgresConnection(connectionString: standbyURL) {
                defer { connection.close() }
                let caughtUp = try? connection.simpleQuery(
                    unsafeText: "SELECT pg_last_wal_replay_lsn() >= '\(target ?? "0/0")'::pg_lsn AS v"
                ).rows.first?.decode("v", as: Bool.self)
                if caughtUp == true { return }
            }
            usleep(20_000)
        }
        throw TestFailure("the standby did not replay up to \(target ?? "?") within \(timeout) s")
    }
}
