import Core
import FoundationEssentials
import Logging
import Postgres

/// Where the data lives: `DATABASE_URL`, or the embedded cluster under `CONCORD_DATA_DIR`
/// (started with the server, stopped with it).
public final class Database: @unchecked Sendable {
    public let connectionString: String
    private let embedded: EmbeddedPostgres?

    /// Starts the embedded cluster when no URL is configured.
    public init(configuration: Configuration, logger: Logger) throws {
        if let url = configuration.databaseURL {
            connectionString = url
            embedded = nil
            return
        }
        let cluster = EmbeddedPostgres(directory: configuration.dataDirectory, logger: { logger.info("\($0)") })
        let admin = try cluster.start()
        try Self.ensureDatabase("concord", connectionString: admin)
        connectionString = admin.replacingAll("dbname=postgres", with: "dbname=concord")
        embedded = cluster
        logger.info(
            "embedded PostgreSQL running",
            metadata: ["directory": "\(configuration.dataDirectory)", "port": .stringConvertible(cluster.port)])
    }

    /// Creates `name` when missing (the embedded cluster starts with only `postgres`).
    static func ensureDatabase(_ name: String, connectionString: String) throws {
        let connection = try PostgresConnection(connectionString: connectionString)
        defer { connection.close() }
        let exists = try connection.query("SELECT 1 FROM pg_database WHERE datname = \(name)").first != nil
        if !exists {
            do {
                try connection.execute(unsafeText: "CREATE DATABASE \(name)")
            } catch let error as PostgresError where error.state == SQLState(rawValue: "42P04") {
                // Another instance created it first.
            }
        }
    }

    /// Stops the embedded cluster, if this process started it.
    public func stop() { embedded?.stop() }

    /// The migrations that ship with the binary.
    public static func migrator(logger: Logger) throws -> Migrator {
        guard let directory = Resources.directory()?.appendingPathComponent("Migrations") else {
            throw Configuration.Invalid(
                variable: "CONCORD_RESOURCES_DIR", accepts: "a directory holding openapi.yaml and Migrations/")
        }
        return try Migrator.load(directory: directory, logger: logger)
    }
}
