import Foundation
import Logging
import Postgres
import TestSupport
import Testing

/// Migrations: fresh, re-run, edited, concurrent.
@Suite struct MigratorTests {
    let logger = Logger(label: "test")

    func directory(_ files: [String: String]) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("migrations-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (name, sql) in files {
            try sql.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return dir
    }

    @Test func fresh_appliesAllInOrder_thenRerunIsNoOp() throws {
        let url = try TestCluster.emptyDatabase()
        let dir = try directory([
            "0001_first.sql": "CREATE TABLE a (id int PRIMARY KEY);",
            "0002_second.sql": "ALTER TABLE a ADD COLUMN b text; INSERT INTO a VALUES (1, 'x');",
        ])
        let migrator = try Migrator.load(directory: dir, logger: logger)
        #expect(try migrator.migrate(connectionString: url) == ["0001_first.sql", "0002_second.sql"])
        #expect(try migrator.migrate(connectionString: url) == [])
        #expect(try TestSQL.scalar(url, "SELECT b FROM a") == "x")
    }

    @Test func editedAppliedMigration_stopsWithItsName() throws {
        let url = try TestCluster.emptyDatabase()
        let dir = try directory(["0001_first.sql": "CREATE TABLE a (id int);"])
        try Migrator.load(directory: dir, logger: logger).migrate(connectionString: url)
        try "CREATE TABLE a (id bigint);".write(
            to: dir.appendingPathComponent("0001_first.sql"), atomically: true, encoding: .utf8)
        #expect {
            try Migrator.load(directory: dir, logger: logger).migrate(connectionString: url)
        } throws: { error in
            "\(error)".contains("0001_first.sql") && "\(error)".contains("edited")
        }
    }

    @Test func failingMigration_rollsBackCompletely() throws {
        let url = try TestCluster.emptyDatabase()
        let dir = try directory(["0001_bad.sql": "CREATE TABLE half (id int); SELECT 1/0;"])
        #expect(throws: (any Error).self) {
            try Migrator.load(directory: dir, logger: logger).migrate(connectionString: url)
        }
        #expect(try TestSQL.scalar(url, "SELECT to_regclass('half') IS NULL") == "t")
        #expect(try TestSQL.scalar(url, "SELECT count(*) FROM schema_migrations") == "0")
    }

    @Test func twoMigratorsAtOnce_applyEachMigrationOnce() throws {
        let url = try TestCluster.emptyDatabase()
        let dir = try directory([
            "0001_slow.sql": "CREATE TABLE counter (n int); SELECT pg_sleep(0.3); INSERT INTO counter VALUES (1);",
            "0002_more.sql": "INSERT INTO counter VALUES (2);",
        ])
        let migrator = try Migrator.load(directory: dir, logger: logger)
        let failures = DispatchQueue(label: "failures")
        nonisolated(unsafe) var errors: [String] = []
        concurrently(3) { _ in
            do { try migrator.migrate(connectionString: url) } catch { failures.sync { errors.append("\(error)") } }
        }
        #expect(errors.isEmpty, "\(errors)")
        #expect(try TestSQL.scalar(url, "SELECT count(*) FROM counter") == "2")
    }

    @Test func badFileName_isRefused() throws {
        let dir = try directory(["first.sql": "SELECT 1;"])
        #expect(throws: (any Error).self) { try Migrator.load(directory: dir, logger: logger) }
    }

    @Test func repositoryMigrations_applyToAnEmptyDatabase() throws {
        let url = try TestCluster.emptyDatabase()
        let migrator = try Migrator.load(
            directory: TestCluster.repositoryRoot.appendingPathComponent("Migrations"), logger: logger)
        #expect(!(try migrator.migrate(connectionString: url)).isEmpty)
        let connection = try PostgresConnection(connectionString: url)
        #expect(try migrator.pending(connection: connection).isEmpty)
    }
}
