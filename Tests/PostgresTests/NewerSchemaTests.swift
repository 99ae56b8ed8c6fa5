import Foundation
import Logging
import Postgres
import TestSupport
import Testing

/// An older binary in front of a database a newer one migrated: it must not write to a schema
/// it does not know, so it stops, naming what it does not know.
extension MigratorTests {
    @Test func migrationsTheBinaryDoesNotShip_stopMigrate_andTheCheck() throws {
        let url = try TestCluster.emptyDatabase()
        let newer = try Migrator.load(
            directory: try directory([
                "0001_first.sql": "CREATE TABLE a (id int);",
                "0002_second.sql": "ALTER TABLE a ADD COLUMN b text;",
                "0003_third.sql": "ALTER TABLE a ADD COLUMN c text;",
            ]), logger: logger)
        try newer.migrate(connectionString: url)
        let older = try Migrator.load(
            directory: try directory(["0001_first.sql": "CREATE TABLE a (id int);"]), logger: logger)
        let expected =
            "the database schema is newer than this binary (applied migrations it does not know: 0002_second.sql, 0003_third.sql); run a Concord release that ships them"
        #expect { try older.migrate(connectionString: url) } throws: { "\($0)" == expected }
        #expect { try older.verifyNotNewer(connectionString: url) } throws: { "\($0)" == expected }
        // The binary that knows them all, and a database not migrated yet, pass.
        try newer.verifyNotNewer(connectionString: url)
        try older.verifyNotNewer(connectionString: try TestCluster.emptyDatabase())
        #expect(try newer.migrate(connectionString: url) == [])
    }
}
