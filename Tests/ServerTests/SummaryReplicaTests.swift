import App
import Foundation
import Postgres
import TestSupport
import Testing

/// The customer summary reads from a replica and carries the customer's RFM row: it never
/// writes the kept RFM ranking (`rfm_snapshots`) on the way, whether one is current or not.
@Suite(.serialized) struct SummaryReplicaTests {
    @Test func summaryOnTheReplica_ranksWithoutWriting_andReadsAKeptRanking() throws {
        let pair = try ReplicaPair()
        defer { pair.destroy() }
        let app = try ReadReplicaTests.start(pair, readYourWrites: 0)
        defer { app.stop() }
        let admin = app.client()
        let reader = app.client(key: try app.key(forRole: "sales"))
        let customer = try #require(admin.post("/customers", #"{"name":"Replica Buyer"}"#)["id"]?.stringValue)
        let warehouse = try #require(
            admin.post("/warehouses", #"{"code":"RW","name":"Replica W"}"#)["id"]?.stringValue)
        let order = try admin.post(
            "/sales-orders",
            #"{"customer_id":"\#(customer)","warehouse_id":"\#(warehouse)","lines":[{"description":"Work","quantity":1,"unit_price":1200}]}"#
        )
        let orderID = try #require(order["id"]?.stringValue, "\(order)")
        let confirmed = try admin.post("/sales-orders/\(orderID)/confirm")
        #expect(confirmed.status == 200, "\(confirmed)")
        func snapshots() throws -> String {
            try pair.query("SELECT count(*)::text AS n FROM rfm_snapshots", onStandby: false).rows.first?.decode(
                "n", as: String.self) ?? "?"
        }
        try pair.waitForReplay()

        // No kept ranking: ranked in the statement on the replica, nothing written.
        try ReadReplicaTests.eventually("the replica has the order") {
            try pair.query(
                "SELECT count(*)::text AS n FROM sales_orders WHERE status = 'confirmed'", onStandby: true
            ).rows.first?.decode("n", as: String.self) == "1"
        }
        var reads = ReadReplicaTests.replica(app).reads
        let first = try reader.get("/customers/\(customer)/summary")
        #expect(first.status == 200, "\(first)")
        #expect(first["rfm"]?["frequency"] == .number("1"), "\(first)")
        #expect(first["rfm"]?["monetary"] == .number("1200"))
        #expect(first.header("Concord-Consistency") == nil, "the summary committed nothing")
        #expect(ReadReplicaTests.replica(app).reads > reads, "served by the replica")
        #expect(try snapshots() == "0")

        // The report (on the primary) keeps a ranking; once replayed, the summary reads it.
        let report = try reader.get("/reports/customer-rfm")
        #expect(report["data"]?[0]?["customer_id"]?.stringValue == customer, "\(report)")
        #expect(try snapshots() == "1")
        try pair.waitForReplay()
        reads = ReadReplicaTests.replica(app).reads
        let second = try reader.get("/customers/\(customer)/summary")
        #expect(second["rfm"] == first["rfm"])
        #expect(second.header("Concord-Consistency") == nil)
        #expect(ReadReplicaTests.replica(app).reads > reads)
        #expect(try snapshots() == "1")
    }
}
