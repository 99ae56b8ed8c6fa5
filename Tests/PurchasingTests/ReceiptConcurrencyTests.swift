import Core
import Foundation
import Routing
import TestSupport
import Testing

/// Concurrent receipts on one line, through two server instances on one database, never
/// receive more than was ordered, and the stock ledger stays consistent.
@Suite struct ReceiptConcurrencyTests {
    @Test func manyThreadsReceivingOneLine_throughTwoInstances_neverOverReceive() throws {
        let first = try TestApp(configure: {
            $0.databasePoolSize = 10; $0.workers = 10
        })
        let second = try TestApp(
            databaseURL: first.databaseURL,
            configure: {
                $0.adminAPIKey = first.adminKey
                $0.databasePoolSize = 10
                $0.workers = 10
            })
        let fixture = try PurchasingFixture(first)
        let supplier = try fixture.supplier()
        let item = try fixture.item()
        let other = try fixture.item()
        // 30 units on line 1; line 2 (another item) receives alongside, to mix the lock order.
        let po = try fixture.ordered(
            supplier: supplier,
            lines: """
                {"item_id":"\(item)","quantity":30,"unit_cost":700},{"item_id":"\(other)","quantity":100,"unit_cost":50}
                """)
        let outcomes = Locked<[String]>([])
        let ports = [first.port, second.port], key = first.adminKey
        concurrently(16) { thread in
            let client = APIClient(port: ports[thread % 2], key: key)
            for attempt in 0..<4 {
                // 64 receipts of 1 (line 1), every other one also takes 1 of line 2.
                let lines =
                    attempt % 2 == 0
                    ? #"{"line_no":1,"quantity":1}"# : #"{"line_no":2,"quantity":1},{"line_no":1,"quantity":1}"#
                do {
                    let reply = try client.post("/purchase-orders/\(po)/receipts", #"{"lines":[\#(lines)]}"#)
                    outcomes.withLock { $0.append("\(reply.status) \(reply.code ?? "")") }
                } catch {
                    outcomes.withLock { $0.append("error \(error)") }
                }
            }
        }
        let all = outcomes.withLock { $0 }
        let counts = Dictionary(grouping: all, by: { $0 }).mapValues(\.count)
        #expect(all.filter { $0.hasPrefix("201") }.count == 30, "\(counts)")
        #expect(all.allSatisfy { $0.hasPrefix("201") || $0 == "409 over_receipt" }, "\(counts)")
        let order = try fixture.admin.get("/purchase-orders/\(po)")
        #expect(order["lines"]?[0]?["received_quantity"] == .number("30"))
        #expect(order["status"] == "partially_received")
        #expect(try fixture.stock(item)?["on_hand"] == .number("30"))
        #expect(try fixture.stock(item)?["incoming"] == .number("0"))
        #expect(try fixture.admin.get("/purchase-orders/\(po)/receipts")["data"]?.arrayValue?.count == 30)
        #expect(try fixture.averageCost(item) == 700)
        let stored = try TestSQL.scalar(
            first.databaseURL, "SELECT count(*) FROM goods_receipts WHERE purchase_order_id = '\(po)'")
        #expect(stored == "30")
        try fixture.expectLedgerConsistent()
        second.stop()
        first.stop()
    }
}
