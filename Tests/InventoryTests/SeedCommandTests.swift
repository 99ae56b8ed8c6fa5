import Foundation
import TestSupport
import Testing

/// `concord seed --demo` through the real binary: seeds once, and a second run adds nothing.
@Suite struct SeedCommandTests {
    func run(_ arguments: [String], databaseURL: String) throws -> (status: Int32, output: String) {
        let outcome = try ConcordBinary.run(arguments, environment: ["DATABASE_URL": databaseURL])
        return (outcome.status, outcome.output)
    }

    @Test func seedDemo_isIdempotent() throws {
        let database = try TestCluster.freshDatabase()
        let first = try run(["seed", "--demo"], databaseURL: database)
        #expect(first.status == 0, "\(first.output)")
        #expect(first.output.contains("2 warehouses"))
        let second = try run(["seed", "--demo"], databaseURL: database)
        #expect(second.status == 0, "\(second.output)")
        #expect(second.output.contains("already seeded"))
        #expect(try TestSQL.scalar(database, "SELECT count(*) FROM warehouses") == "2")
        #expect(try TestSQL.scalar(database, "SELECT count(*) FROM items") == "5")
        #expect(try StockLedger.violations(database).isEmpty)
        let withoutFlag = try run(["seed"], databaseURL: database)
        #expect(withoutFlag.status == 2)
    }
}
