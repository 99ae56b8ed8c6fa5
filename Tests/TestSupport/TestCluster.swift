import Foundation
import Logging
import Postgres
import Synchronization

/// One throwaway PostgreSQL cluster per test process, started on first use and stopped at
/// exit, with a migrated template database: each suite gets a fresh database copied from it
/// (`CREATE DATABASE … TEMPLATE`), which takes milliseconds instead of re-running migrations.
public enum TestCluster {
    private struct State: @unchecked Sendable {
        var cluster: EmbeddedPostgres?
        var counter = 0
        var failure: String?
    }

    private static let state = Mutex(State())

    /// The repository's root (for `Migrations/` and `openapi.yaml`).
    public static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// The cluster, started (and its template migrated) on first use.
    public static func cluster() throws -> EmbeddedPostgres {
        try state.withLock { state in
            if let failure = state.failure { throw TestClusterError(message: failure) }
            if let cluster = state.cluster { return cluster }
            do {
                let cluster = try EmbeddedPostgres.throwaway()
                atexit { TestCluster.stopAtExit() }
                var logger = Logger(label: "test-migrations")
                logger.logLevel = .warning
                try cluster.createDatabase("concord_template")
                let migrator = try Migrator.load(
                    directory: repositoryRoot.appendingPathComponent("Migrations"), logger: logger)
                try migrator.migrate(connectionString: connectionString(cluster, database: "concord_template"))
                state.cluster = cluster
                return cluster
            } catch {
                state.failure = "\(error)"
                throw error
            }
        }
    }

    /// A new database with every migration applied; returns its connection string.
    public static func freshDatabase() throws -> String {
        let cluster = try cluster()
        let name = state.withLock { state -> String in
            state.counter += 1
            return "test_\(getpid())_\(state.counter)"
        }
        // Copies from one template must not overlap (PostgreSQL refuses while the template is
        // being read by another CREATE DATABASE), so creation is serialised.
        try state.withLock { _ in try cluster.createDatabase(name, template: "concord_template") }
        return connectionString(cluster, database: name)
    }

    /// An empty database (no migrations), for migrator tests.
    public static func emptyDatabase() throws -> String {
        let cluster = try cluster()
        let name = state.withLock { state -> String in
            state.counter += 1
            return "empty_\(getpid())_\(state.counter)"
        }
        try state.withLock { _ in try cluster.createDatabase(name) }
        return connectionString(cluster, database: name)
    }

    static func connectionString(_ cluster: EmbeddedPostgres, database: String) -> String {
        cluster.connectionString.replacingOccurrences(of: "dbname=postgres", with: "dbname=\(database)")
    }

    private static func stopAtExit() {
        let cluster = state.withLock { $0.cluster }
        cluster?.destroy()
    }
}

public struct TestClusterError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { "test cluster unavailable: \(message)" }
}
