import Foundation
import TestSupport
import Testing

/// `concord profile`: one request answered many times in-process, for instruction counts.
@Suite struct ProfileCommandTests {
    @Test func profile_answersTheRequestAsTheAdmin_andRevokesItsKeyAfterwards() throws {
        let database = try TestCluster.freshDatabase()
        let environment = ["DATABASE_URL": database]
        let seeded = try ConcordBinary.run(["seed", "--customers", "120"], environment: environment)
        #expect(seeded.status == 0, "\(seeded.stderr)")

        let page = try ConcordBinary.run(["profile", "/customers?limit=50", "--times", "3"], environment: environment)
        #expect(page.status == 0, "\(page.stderr)")
        #expect(page.stdout.hasPrefix("GET /customers?limit=50: 200, "), "\(page.stdout)")
        #expect(page.stdout.contains("answered 3 times"), "\(page.stdout)")

        let missing = try ConcordBinary.run(["profile", "/customers/CUST-999999"], environment: environment)
        #expect(missing.stdout.hasPrefix("GET /customers/CUST-999999: 404, "), "\(missing.stdout)")

        #expect(
            try TestSQL.scalar(
                database, "SELECT count(*) FROM api_keys WHERE name = 'concord profile' AND revoked_at IS NULL") == "0")
        #expect(try TestSQL.scalar(database, "SELECT count(*) FROM api_keys WHERE name = 'concord profile'") == "2")
    }
}
