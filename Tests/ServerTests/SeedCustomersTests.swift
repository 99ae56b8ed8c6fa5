import Foundation
import TestSupport
import Testing

/// `concord seed --customers N`, the real binary against a fresh database.
@Suite struct SeedCustomersTests {
    static func concord(_ arguments: [String], database: String) throws -> ConcordBinary.Outcome {
        try ConcordBinary.run(arguments, environment: ["DATABASE_URL": database])
    }

    @Test func seedCustomers_makesDistinctSearchableCustomers_andContinuesTheSeries() throws {
        let database = try TestCluster.freshDatabase()
        let first = try Self.concord(["seed", "--customers", "1200"], database: database)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("1200 synthetic customers added"))
        #expect(try TestSQL.scalar(database, "SELECT count(*) FROM customers") == "1200")
        #expect(try TestSQL.scalar(database, "SELECT count(DISTINCT lower(email)) FROM customers") == "1200")
        #expect(try TestSQL.scalar(database, "SELECT count(DISTINCT tier) FROM customers") == "4")
        #expect(try TestSQL.scalar(database, "SELECT count(DISTINCT kind) FROM customers") == "2")
        // The search indexes dropped for the load are back, exactly as the migrations made them.
        #expect(
            try TestSQL.scalar(
                database,
                "SELECT count(*) FROM pg_indexes WHERE tablename = 'customers' AND indexname IN ('customers_search_idx', 'customers_tags_idx')"
            ) == "2")

        let second = try Self.concord(["seed", "--customers", "300"], database: database)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try TestSQL.scalar(database, "SELECT count(*) FROM customers") == "1500")
        #expect(
            try TestSQL.scalar(database, "SELECT max(substring(external_ref FROM 6)::int) FROM customers") == "1500")

        // The seeded customers are served like any other: listed, found by `q`, read by number.
        let app = try TestApp(databaseURL: database)
        defer { app.stop() }
        let client = app.client()
        let page = try client.get("/customers?limit=50")
        #expect(page.status == 200)
        #expect(page["data"]?.arrayValue?.count == 50)
        let found = try client.get("/customers?q=buyer1499%40")
        #expect(found["data"]?.arrayValue?.count == 1)
        let number = try #require(found["data"]?.arrayValue?.first?.objectValue?["number"]?.stringValue)
        #expect(try client.get("/customers/\(number)").status == 200)
    }

    @Test func seedCustomers_withAnOwner_givesThemTheirShare_andTheirOwnScopedListShowsOnlyThose() throws {
        let database = try TestCluster.freshDatabase()
        let app = try TestApp(databaseURL: database)
        defer { app.stop() }
        let admin = app.client()
        let user = try admin.post(
            "/users", #"{"name":"Rep","email":"rep@bench.example","role":"sales","data_scope":"own"}"#)
        let id = try #require(user["id"]?.stringValue, "\(user)")
        let key = try #require(admin.post("/users/\(id)/api-keys", #"{"name":"t"}"#)["key"]?.stringValue)
        let seeded = try Self.concord(
            ["seed", "--customers", "1000", "--owner", "rep@bench.example", "--owned", "100"], database: database)
        #expect(seeded.status == 0, "\(seeded.stderr)")
        #expect(try TestSQL.scalar(database, "SELECT count(*) FROM customers WHERE owner_id = '\(id)'") == "100")
        let rep = app.client(key: key)
        var seen = 0
        var cursor: String?
        repeat {
            let page = try rep.get("/customers?limit=50" + (cursor.map { "&cursor=\($0)" } ?? ""))
            let rows = page["data"]?.arrayValue ?? []
            #expect(rows.allSatisfy { $0["owner_id"]?.stringValue == id })
            seen += rows.count
            cursor = page["next_cursor"]?.stringValue
        } while cursor != nil
        #expect(seen == 100)
        let misuse = try Self.concord(["seed", "--demo", "--owner", "rep@bench.example"], database: database)
        #expect(misuse.status == 2)
    }

    @Test func seedCustomers_refusesADatabaseWithRealCustomers_unlessForced() throws {
        let database = try TestCluster.freshDatabase()
        let app = try TestApp(databaseURL: database)
        let created = try app.client().post("/customers", #"{"name":"A real customer","email":"real@example.com"}"#)
        #expect(created.status == 201)
        app.stop()

        let refused = try Self.concord(["seed", "--customers", "100"], database: database)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("--force"))
        #expect(try TestSQL.scalar(database, "SELECT count(*) FROM customers") == "1")

        let forced = try Self.concord(["seed", "--customers", "100", "--force"], database: database)
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try TestSQL.scalar(database, "SELECT count(*) FROM customers") == "101")
    }

    @Test func seed_withoutAKind_orWithBoth_isAUsageError() throws {
        let database = try TestCluster.freshDatabase()
        for arguments in [
            ["seed"], ["seed", "--demo", "--customers", "5"], ["seed", "--customers", "0"],
            ["seed", "--demo", "--force"],
        ] {
            let outcome = try Self.concord(arguments, database: database)
            #expect(outcome.status == 2, "\(arguments): \(outcome.status) \(outcome.stderr)")
        }
        #expect(try TestSQL.scalar(database, "SELECT count(*) FROM customers") == "0")
    }
}
