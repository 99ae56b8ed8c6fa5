import Core
import Foundation
import Routing
import TestSupport
import Testing

/// The headline promise: concurrent confirms through two server instances on one database
/// never oversell, never go negative, and never show a client a deadlock.
@Suite struct OversellTests {
    @Test func twoHundredConfirms_throughTwoInstances_confirmExactlyTheHundredInStock() throws {
        let first = try TestApp(configure: {
            $0.databasePoolSize = 12; $0.workers = 12
        })
        // The second instance keeps the first one's admin key (bootstrap would rotate it).
        let second = try TestApp(
            databaseURL: first.databaseURL,
            configure: {
                $0.adminAPIKey = first.adminKey
                $0.databasePoolSize = 12
                $0.workers = 12
            })
        let fixture = try SalesFixture(first)
        let item = try fixture.item(stock: "100")
        let customer = try fixture.customer()
        // 200 one-unit drafts, made concurrently through both instances.
        let orders = Locked<[String]>([])
        let failures = Locked<[String]>([])
        let ports = [first.port, second.port], key = first.adminKey, warehouse = fixture.warehouse
        concurrently(20) { thread in
            let client = APIClient(port: ports[thread % 2], key: key)
            for _ in 0..<10 {
                do {
                    let reply = try client.post(
                        "/sales-orders",
                        """
                        {"customer_id":"\(customer)","warehouse_id":"\(warehouse)","lines":[{"item_id":"\(item)","quantity":1}]}
                        """)
                    if reply.status == 201, let id = reply["id"]?.stringValue {
                        orders.withLock { $0.append(id) }
                    } else {
                        failures.withLock { $0.append("\(reply)") }
                    }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        let ids = orders.withLock { $0 }
        #expect(failures.withLock { $0 } == [])
        #expect(ids.count == 200)
        let outcomes = Locked<[String]>([])
        concurrently(40) { thread in
            let client = APIClient(port: ports[thread % 2], key: key)
            for index in stride(from: thread, to: ids.count, by: 40) {
                do {
                    let reply = try client.post("/sales-orders/\(ids[index])/confirm")
                    outcomes.withLock { $0.append("\(reply.status) \(reply.code ?? "")") }
                } catch {
                    outcomes.withLock { $0.append("error \(error)") }
                }
            }
        }
        let all = outcomes.withLock { $0 }
        #expect(
            all.filter { $0.hasPrefix("200") }.count == 100,
            "\(Dictionary(grouping: all, by: { $0 }).mapValues(\.count))")
        #expect(all.filter { $0 == "409 insufficient_stock" }.count == 100)
        #expect(try fixture.stock(item) == ("100.000", "100.000"))
        let confirmed = try TestSQL.scalar(
            first.databaseURL, "SELECT count(*) FROM sales_orders WHERE status = 'confirmed'")
        #expect(confirmed == "100")
        try fixture.expectLedgerConsistent()
        second.stop()
        first.stop()
    }
}
