import CCrypto
import Core
import FoundationEssentials
import Logging

/// Applies `Migrations/NNNN_description.sql` in order, each once, each in its own transaction,
/// recording a SHA-256 checksum in `schema_migrations`. An applied file that was edited stops
/// start-up; an advisory lock taken in each step's transaction lets several instances start at once.
public struct Migrator: Sendable {
    public struct Migration: Sendable, Equatable {
        public let version: Int
        public let name: String
        public let sql: String
        public let checksum: String
    }

    /// Why migrating stopped; the description is the one line start-up prints.
    public enum Failure: Error, CustomStringConvertible {
        case badFileName(String)
        case duplicateVersion(Int)
        case edited(name: String)
        case failed(name: String, reason: String)
        /// The database has applied migrations this binary does not ship: a newer Concord
        /// migrated it, and this older one must not write to a schema it does not know.
        case newerSchema(names: [String])

        public var description: String {
            switch self {
            case .badFileName(let name): "migration file \(name) is not named NNNN_description.sql"
            case .duplicateVersion(let version): "two migration files have version \(version)"
            case .edited(let name):
                "migration \(name) was edited after it was applied; restore it and add a new migration instead"
            case .failed(let name, let reason): "migration \(name) failed: \(reason)"
            case .newerSchema(let names):
                "the database schema is newer than this binary (applied migrations it does not know: \(names.joined(separator: ", "))); run a Concord release that ships them"
            }
        }
    }

    /// The advisory lock key every instance takes while migrating ("concord-m" as an integer).
    static let lockKey: Int64 = 0x636F_6E63_6F72_646D

    public let migrations: [Migration]
    let logger: Logger

    public init(migrations: [Migration], logger: Logger) {
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.logger = logger
    }

    /// Reads every `*.sql` file of `directory`.
    public static func load(directory: URL, logger: Logger) throws -> Migrator {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }
            .sorted()
        var migrations: [Migration] = []
        for name in names {
            guard let underscore = name.firstIndex(of: "_"), let version = Int(name[..<underscore]) else {
                throw Failure.badFileName(name)
            }
            if migrations.contains(where: { $0.version == version }) { throw Failure.duplicateVersion(version) }
            let data = try Data(contentsOf: directory.appendingPathComponent(name))
            migrations.append(
                Migration(
                    version: version, name: name, sql: String(decoding: data, as: UTF8.self),
                    checksum: sha256Hex(Array(data))))
        }
        return Migrator(migrations: migrations, logger: logger)
    }

    /// Applies what is pending; returns the names applied.
    @discardableResult
    public func migrate(connectionString: String) throws -> [String] {
        let connection = try PostgresConnection(
            connectionString: connectionString, statementTimeoutMilliseconds: 0,
            applicationName: "concord-migrate")
        defer { connection.close() }
        // Transaction-level locks: every step takes the lock in its own transaction and reads
        // what is applied under it, so several instances never apply one migration twice, and
        // the lock works through a pooler in transaction mode too (a session lock would stay
        // with whichever server session took it).
        let lock = "SELECT pg_advisory_xact_lock(\(Self.lockKey))"
        func locked<T>(_ body: () throws -> T) throws -> T {
            try connection.execute(unsafeText: "BEGIN; " + lock)
            do {
                let result = try body()
                try connection.execute(unsafeText: "COMMIT")
                return result
            } catch {
                try? connection.execute(unsafeText: "ROLLBACK")
                throw error
            }
        }
        try locked {
            try connection.execute(
                unsafeText: """
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version integer PRIMARY KEY,
                        name text NOT NULL,
                        checksum text NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now()
                    )
                    """)
            try refuseUnknown(applied: try appliedChecksums(connection), connection)
        }
        var done: [String] = []
        for migration in migrations {
            let applied = try locked { () -> Bool in
                if let checksum = try appliedChecksums(connection)[migration.version] {
                    guard checksum == migration.checksum else { throw Failure.edited(name: migration.name) }
                    return true
                }
                do {
                    try connection.execute(unsafeText: migration.sql)
                    try connection.query(
                        """
                        INSERT INTO schema_migrations (version, name, checksum) \
                        VALUES (\(migration.version), \(migration.name), \(migration.checksum))
                        """)
                } catch {
                    throw Failure.failed(name: migration.name, reason: "\(error)")
                }
                return false
            }
            if applied { continue }
            logger.info("applied migration", metadata: ["migration": "\(migration.name)"])
            done.append(migration.name)
        }
        return done
    }

    /// Names of migrations not yet applied (empty when the schema is current).
    public func pending(connection: PostgresConnection) throws -> [String] {
        let exists =
            try connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL AS present").first?
            .decode("present", as: Bool.self) ?? false
        guard exists else { return migrations.map(\.name) }
        let applied = try appliedChecksums(connection)
        return migrations.filter { applied[$0.version] == nil }.map(\.name)
    }

    /// Throws `newerSchema` when the database has applied migrations this binary does not know
    /// (checked at every start, with or without migrating).
    public func verifyNotNewer(connectionString: String) throws {
        let connection = try PostgresConnection(connectionString: connectionString, applicationName: "concord-migrate")
        defer { connection.close() }
        let exists =
            try connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL AS present").first?
            .decode("present", as: Bool.self) ?? false
        guard exists else { return }
        try refuseUnknown(applied: try appliedChecksums(connection), connection)
    }

    private func refuseUnknown(applied: [Int: String], _ connection: PostgresConnection) throws {
        let known = Set(migrations.map(\.version))
        let unknown = applied.keys.filter { !known.contains($0) }.sorted()
        guard !unknown.isEmpty else { return }
        var names: [String] = []
        for row in try connection.query("SELECT version, name FROM schema_migrations ORDER BY version").rows
        where unknown.contains(try row.decode("version", as: Int.self)) {
            names.append(try row.decode("name", as: String.self))
        }
        throw Failure.newerSchema(names: names)
    }

    private func appliedChecksums(_ connection: PostgresConnection) throws -> [Int: String] {
        var applied: [Int: String] = [:]
        for row in try connection.query("SELECT version, checksum FROM schema_migrations").rows {
            applied[try row.decode("version")] = try row.decode("checksum", as: String.self)
        }
        return applied
    }

    static func sha256Hex(_ bytes: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        _ = bytes.withUnsafeBufferPointer { input in
            EVP_Digest(input.baseAddress, input.count, &digest, &length, EVP_sha256(), nil)
        }
        return digest.hexString
    }
}
