import Foundation
import TestSupport
import Testing

/// The real binary in front of a database that a newer release migrated.
@Suite struct SchemaVersionTests {
    static let expected =
        "the database schema is newer than this binary (applied migrations it does not know: 9999_from_a_newer_release.sql); run a Concord release that ships them"

    /// A database as a later release leaves it: one more migration recorded than this binary ships.
    static func newerDatabase() throws -> String {
        let url = try TestCluster.freshDatabase()
        try TestSQL.execute(
            url,
            "INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, '9999_from_a_newer_release.sql', 'x')"
        )
        return url
    }

    static func stderr(_ running: ExecutableTests.Running) -> String {
        String(decoding: running.stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    @Test(arguments: [["serve", "--port", "0"], ["serve", "--port", "0", "--no-migrate"]])
    func serve_stopsWithOneLine(_ arguments: [String]) throws {
        let running = try ExecutableTests.Running(
            environment: ["DATABASE_URL": try Self.newerDatabase(), "CONCORD_LOG_LEVEL": "info"],
            arguments: arguments)
        try #require(running.exited(), "it did not stop")
        let output = Self.stderr(running)
        #expect(running.process.terminationStatus == 1)
        let lines = output.split(separator: "\n").filter { $0.contains("newer") }
        #expect(lines.count == 1, "\(output)")
        #expect(lines.first?.hasSuffix("could not start: \(Self.expected)") == true, "\(output)")
        #expect(!output.contains("listening"))
    }

    @Test func migrate_stopsWithOneLine() throws {
        let running = try ExecutableTests.Running(
            environment: ["DATABASE_URL": try Self.newerDatabase()], arguments: ["migrate"])
        try #require(running.exited(), "it did not stop")
        #expect(running.process.terminationStatus == 1)
        #expect(Self.stderr(running) == "concord: \(Self.expected)\n")
    }
}
