import Core
import Foundation
import Routing
import TestSupport
import Testing

/// Alerts are scoped like their subject (API.md "Permissions"): sales user a (team T1, own)
/// owns customer X, c (T2, own) owns nothing; Y has no owner. X and Y each have an overdue
/// invoice, a sales order past its requested date and an overdue activity; an item is below
/// its reorder point.
@Suite struct AlertScopeTests {
    @Test func aSalesUserSeesOnlyAlertsAboutCustomersInScope_andAlertsAboutNoCustomer() throws {
        let app = try TestApp()
        defer { app.stop() }
        let fixture = try AlertFixture(app)
        let a = try app.scopedUser(team: try app.team("T1"), scope: "own")
        let c = try app.scopedUser(team: try app.team("T2"), scope: "own")
        let created = try a.client.post("/customers", #"{"name":"X \#(UUID().uuidString.prefix(6))"}"#)
        let x = try #require(created["id"]?.stringValue, "\(created)")
        let y = try fixture.customer()
        var subjects: [String: [String]] = [:]
        for customer in [x, y] {
            var mine = [try fixture.invoice(customer, amount: 1000, daysAgo: 45)]
            let order = try fixture.created(
                "/sales-orders",
                #"{"customer_id":"\#(customer)","warehouse_id":"\#(fixture.warehouse)","requested_date":"\#(AlertFixture.date(-3))","lines":[{"description":"Work","quantity":1,"unit_price":100}]}"#
            )
            #expect(try fixture.admin.post("/sales-orders/\(order)/confirm").status == 200)
            mine.append(order)
            mine.append(
                try fixture.created(
                    "/activities",
                    #"{"type":"call","subject":"Chase","due_at":"\#(AlertFixture.date(-2))T09:00:00Z","customer_id":"\#(customer)"}"#
                ))
            subjects[customer] = mine
        }
        let item = try fixture.item(reorderPoint: 10)
        try fixture.count(item, 5)
        #expect(try fixture.evaluate()["ran"]?.boolValue == true)

        func alerts(_ client: APIClient) throws -> [JSONValue] {
            var all: [JSONValue] = []
            var cursor: String?
            repeat {
                let reply = try client.get("/alerts?limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""))
                #expect(reply.status == 200, "\(reply)")
                all += reply["data"]?.arrayValue ?? []
                cursor = reply["next_cursor"]?.stringValue
            } while cursor != nil
            return all
        }
        func subjectIDs(_ list: [JSONValue]) -> Set<String> {
            Set(list.compactMap { $0["subject"]?["id"]?.stringValue })
        }
        let everything = try alerts(fixture.admin)
        #expect(subjectIDs(everything) == Set(subjects[x]! + subjects[y]! + [item]), "\(everything)")

        // a: X's invoice, order and activity, and the stock alert; nothing of Y.
        #expect(subjectIDs(try alerts(a.client)) == Set(subjects[x]! + [item]))
        // c: only the stock alert.
        #expect(subjectIDs(try alerts(c.client)) == [item])
        #expect(try c.client.get("/alerts?customer_id=\(x)")["data"]?.arrayValue?.isEmpty == true)

        // One alert of Y's: a 404 to a, to read and to acknowledge; admin reads it.
        let hidden = try #require(
            everything.first { $0["customer_id"]?.stringValue == y }?["id"]?.stringValue)
        #expect(try a.client.get("/alerts/\(hidden)").status == 404)
        #expect(try a.client.post("/alerts/\(hidden)/acknowledge", #"{"note":"mine?"}"#).status == 404)
        #expect(try fixture.admin.get("/alerts/\(hidden)").status == 200)
        let own = try #require(
            everything.first { $0["customer_id"]?.stringValue == x }?["id"]?.stringValue)
        #expect(try a.client.get("/alerts/\(own)").status == 200)
        #expect(try a.client.post("/alerts/\(own)/acknowledge", #"{"note":"on it"}"#).status == 200)
        #expect(try c.client.get("/alerts/\(own)").status == 404)
    }
}
