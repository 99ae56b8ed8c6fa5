import Foundation
import TestSupport
import Testing

/// `concord seed --customers N --shipped-lines M`, the real binary against a fresh database.
@Suite struct SeedShippedTests {
    @Test func seedShippedLines_makesShippedOrders_thatTheReportsAddUp() throws {
        let database = try TestCluster.freshDatabase()
        let run = try ConcordBinary.run(
            ["seed", "--customers", "300", "--shipped-lines", "1000"], environment: ["DATABASE_URL": database])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("shipped lines: 1000 added"), "\(run.stdout)")
        func sql(_ text: String) throws -> String { try TestSQL.scalar(database, text) }
        #expect(try sql("SELECT count(*) FROM shipment_lines") == "1000")
        #expect(try sql("SELECT count(*) FROM sales_orders WHERE status = 'shipped'") == "500")
        #expect(try sql("SELECT count(*) FROM sales_order_lines WHERE shipped_quantity <> quantity") == "0")
        // Each line's cost is its quantity at its unit cost; each order's subtotal its lines'.
        #expect(try sql("SELECT count(*) FROM shipment_lines WHERE cost <> quantity * unit_cost") == "0")
        #expect(
            try sql(
                """
                SELECT count(*) FROM sales_orders o
                WHERE subtotal <> (SELECT sum(line_total) FROM sales_order_lines l WHERE l.sales_order_id = o.id)
                """) == "0")
        #expect(try sql("SELECT count(DISTINCT customer_id) > 100 FROM sales_orders") == "t")
        // A second run continues the series.
        let again = try ConcordBinary.run(["seed", "--shipped-lines", "200"], environment: ["DATABASE_URL": database])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try sql("SELECT count(*) FROM shipment_lines") == "1200")

        let app = try TestApp(databaseURL: database)
        defer { app.stop() }
        let margin = try app.client().get("/reports/margin?group_by=month&from=2000-01-01")
        #expect(margin.status == 200, "\(margin)")
        #expect(margin["totals"]?[0]?["cost"]?.numberText == (try sql("SELECT sum(cost) FROM shipment_lines")))
        let rfm = try app.client().get("/reports/customer-rfm?limit=200")
        #expect(rfm.status == 200)
        #expect(rfm["data"]?.arrayValue?.count == 200)
        #expect(try app.client().get("/reports/kpis").status == 200)
    }

    @Test func seedShippedLines_withoutCustomers_failsWithAMessage() throws {
        let database = try TestCluster.freshDatabase()
        let run = try ConcordBinary.run(["seed", "--shipped-lines", "10"], environment: ["DATABASE_URL": database])
        #expect(run.status == 1)
        #expect(run.stderr.contains("--customers"))
    }
}
