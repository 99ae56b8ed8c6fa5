import Core
import Foundation
import Routing
import TestSupport
import Testing

/// Reorder suggestions: what is at or below its reorder point counting available, incoming and
/// drafted quantities over every warehouse; apply drafts one order per supplier, and applying
/// again does not order twice.
@Suite struct SuggestionTests {
    let app: TestApp
    let fixture: PurchasingFixture
    var admin: APIClient { fixture.admin }

    init() throws {
        app = try TestApp()
        fixture = try PurchasingFixture(app)
    }

    func adjust(_ item: String, _ quantity: String, warehouse: String? = nil) throws {
        let reply = try admin.post(
            "/stock/adjustments",
            """
            {"item_id":"\(item)","warehouse_id":"\(warehouse ?? fixture.warehouse)","quantity_delta":\(quantity),"reason":"count"}
            """)
        guard reply.status == 201 else { throw TestFailure("adjust: \(reply)") }
    }

    func suggested(_ list: JSONValue?, _ item: String) -> JSONValue? {
        list?.arrayValue?.first { $0["item_id"] == .string(item) }
    }

    @Test func suggestions_beforeAndAfterApply_andApplyTwice() throws {
        let acme = try fixture.supplier()
        let bolt = try fixture.supplier()
        let east = try PurchasingFixture.warehouse(admin)
        // 3 here + 2 in the east = 5 available, at the reorder point 5: order the reorder quantity 20.
        let low = try fixture.item(
            extra: #","reorder_point":5,"reorder_quantity":20,"preferred_supplier_id":"\#(acme)""#)
        try adjust(low, "3")
        try adjust(low, "2", warehouse: east)
        // Never stocked anywhere, no reorder quantity: enough to get above 4.5, i.e. 5.
        let never = try fixture.item(extra: #","reorder_point":4.5,"preferred_supplier_id":"\#(acme)""#)
        // Reorder quantity 2 would not lift 0 above 10: order 11.
        let small = try fixture.item(
            extra: #","reorder_point":10,"reorder_quantity":2,"preferred_supplier_id":"\#(bolt)""#)
        // No preferred supplier: listed apart, not dropped.
        let orphan = try fixture.item(extra: #","reorder_point":1"#)
        // 2 available + 8 incoming = 10 > 6: fine.
        let covered = try fixture.item(extra: #","reorder_point":6,"preferred_supplier_id":"\#(bolt)""#)
        try adjust(covered, "2")
        _ = try fixture.ordered(supplier: bolt, lines: #"{"item_id":"\#(covered)","quantity":8,"unit_cost":10}"#)
        // Above the point, no reorder point, a service: never suggested.
        let plenty = try fixture.item(extra: #","reorder_point":1,"preferred_supplier_id":"\#(acme)""#)
        try adjust(plenty, "5")
        let unmanaged = try fixture.item()
        // An inactive preferred supplier: listed apart with the reason.
        let sleeping = try fixture.supplier(#","status":"inactive""#)
        let stale = try fixture.item(extra: #","reorder_point":1,"preferred_supplier_id":"\#(sleeping)""#)

        let before = try admin.get("/purchasing/suggestions")
        #expect(before.status == 200)
        #expect(before["currency"] == "USD")
        let data = before["data"]
        #expect(data?.arrayValue?.count == 3)
        #expect(suggested(data, low)?["quantity"] == .number("20"))
        #expect(suggested(data, low)?["available"] == .number("5"))
        #expect(suggested(data, low)?["supplier_id"] == .string(acme))
        #expect(suggested(data, never)?["quantity"] == .number("5"))
        #expect(suggested(data, never)?["available"] == .number("0"))
        #expect(suggested(data, small)?["quantity"] == .number("11"))
        for item in [covered, plenty, unmanaged, orphan, stale] { #expect(suggested(data, item) == nil) }
        let without = before["without_supplier"]
        #expect(without?.arrayValue?.count == 2)
        #expect(suggested(without, orphan)?["reason"] == "no_preferred_supplier")
        #expect(suggested(without, orphan)?["quantity"] == .number("2"))
        #expect(suggested(without, stale)?["reason"] == "supplier_inactive")

        let applied = try admin.post("/purchasing/suggestions/apply", #"{"warehouse_id":"\#(fixture.warehouse)"}"#)
        #expect(applied.status == 200)
        let drafts = applied["data"]?.arrayValue ?? []
        #expect(drafts.count == 2)
        let acmeDraft = try #require(drafts.first { $0["supplier_id"] == .string(acme) })
        #expect(acmeDraft["status"] == "draft")
        #expect(acmeDraft["warehouse_id"] == .string(fixture.warehouse))
        #expect(Set(acmeDraft["lines"]?.arrayValue?.compactMap { $0["item_id"]?.stringValue } ?? []) == [low, never])
        let bolts = try #require(drafts.first { $0["supplier_id"] == .string(bolt) })
        #expect(bolts["lines"]?[0]?["quantity"] == .number("11"))
        #expect(applied["without_supplier"]?.arrayValue?.count == 2)

        // What the drafts cover is no longer suggested; the orphans still are.
        let after = try admin.get("/purchasing/suggestions")
        #expect(after["data"]?.arrayValue?.count == 0)
        #expect(after["without_supplier"]?.arrayValue?.count == 2)
        let again = try admin.post("/purchasing/suggestions/apply", #"{"warehouse_id":"\#(fixture.warehouse)"}"#)
        #expect(again["data"]?.arrayValue?.count == 0)
        #expect(try admin.get("/purchase-orders?status=draft")["data"]?.arrayValue?.count == 2)

        // Stock counted away again: the drafted 20 still cover `low`.
        try adjust(low, "-3")
        let short = try admin.get("/purchasing/suggestions")["data"]
        // 2 available + 20 drafted = 22 > 5: still covered.
        #expect(suggested(short, low) == nil)
        try fixture.expectLedgerConsistent()
    }

    @Test func apply_needsAWarehouse_andConcurrentAppliesDraftOnce() throws {
        let supplier = try fixture.supplier()
        _ = try fixture.item(extra: #","reorder_point":3,"reorder_quantity":10,"preferred_supplier_id":"\#(supplier)""#)
        _ = try PurchasingFixture.warehouse(admin)  // with two warehouses, one must be named
        #expect(try admin.post("/purchasing/suggestions/apply", "{}").status == 422)
        #expect(
            try admin.post("/purchasing/suggestions/apply", #"{"warehouse_id":"\#(UUID().uuidString)"}"#)["errors"]?[
                0]?["field"] == "warehouse_id")
        let port = app.port, key = app.adminKey, warehouse = fixture.warehouse
        let outcomes = Locked<[String]>([])
        concurrently(6) { _ in
            do {
                let reply = try APIClient(port: port, key: key).post(
                    "/purchasing/suggestions/apply", #"{"warehouse_id":"\#(warehouse)"}"#)
                outcomes.withLock { $0.append("\(reply.status) drafted \(reply["data"]?.arrayValue?.count ?? -1)") }
            } catch {
                outcomes.withLock { $0.append("error \(error)") }
            }
        }
        let all = outcomes.withLock { $0 }
        // Every apply answered without a server error; exactly one of them drafted the order.
        #expect(all.allSatisfy { $0.hasPrefix("200 ") || $0.hasPrefix("201 ") || $0.hasPrefix("409 ") }, "\(all)")
        #expect(all.filter { $0.hasSuffix(" drafted 1") }.count == 1, "\(all)")
        #expect(all.filter { $0.hasSuffix(" drafted 0") || $0.hasPrefix("409 ") }.count == 5, "\(all)")
        #expect(try admin.get("/purchase-orders?status=draft")["data"]?.arrayValue?.count == 1)
    }
}
