import Core
import Foundation
import Routing
import TestSupport
import Testing

/// Purchase orders over HTTP against PostgreSQL: drafts, totals, order, cancel, receipts into
/// stock at the line's cost, the moving average, `incoming`, events and roles.
@Suite struct PurchaseOrderTests {
    let app: TestApp
    let fixture: PurchasingFixture
    var admin: APIClient { fixture.admin }

    init() throws {
        app = try TestApp()
        fixture = try PurchasingFixture(app)
    }

    func id(_ value: JSONValue) -> String { value["id"]?.stringValue ?? "" }

    @Test func draft_totalsHalfEven_costDefaultsToAverage_currencyIsTheInstallations() throws {
        let supplier = try fixture.supplier()
        let item = try fixture.item()
        let other = try fixture.item()
        // Give `other` an average cost of 250 through a receipt on an earlier order.
        let earlier = try fixture.ordered(
            supplier: supplier, lines: #"{"item_id":"\#(other)","quantity":4,"unit_cost":250}"#)
        #expect(
            try admin.post("/purchase-orders/\(earlier)/receipts", #"{"lines":[{"line_no":1,"quantity":4}]}"#).status
                == 201)
        let order = try fixture.draft(
            supplier: supplier,
            lines: """
                {"item_id":"\(item)","quantity":2.5,"unit_cost":333},{"item_id":"\(other)","quantity":3}
                """, extra: #","expected_date":"2026-12-24","notes":"Dock 2","external_ref":"po-ext-1""#)
        #expect(order["number"]?.stringValue?.hasPrefix("PO-") == true)
        #expect(order["status"] == "draft")
        #expect(order["currency"] == "USD")
        #expect(order["supplier_id"] == .string(supplier))
        #expect(order["warehouse_id"] == .string(fixture.warehouse))
        #expect(order["expected_date"] == "2026-12-24")
        // 2.5 × 333 = 832.5 → 832 (half-even); 3 × 250 = 750.
        #expect(order["lines"]?[0]?["line_no"] == .number("1"))
        #expect(order["lines"]?[0]?["line_total"] == .number("832"))
        #expect(order["lines"]?[0]?["received_quantity"] == .number("0"))
        #expect(order["lines"]?[1]?["unit_cost"] == .number("250"))
        #expect(order["lines"]?[1]?["line_total"] == .number("750"))
        #expect(order["subtotal"] == .number("1582"))
        #expect(order["total"] == .number("1582"))
        for field in ["ordered_at", "received_at", "cancelled_at"] { #expect(order[field] == .null) }
        #expect(try admin.get("/purchase-orders/\(order["number"]!.stringValue!)")["id"] == order["id"])
        #expect(try admin.get("/purchase-orders?external_ref=po-ext-1")["data"]?.arrayValue?.count == 1)
        let duplicate = try admin.post(
            "/purchase-orders",
            #"{"supplier_id":"\#(supplier)","warehouse_id":"\#(fixture.warehouse)","external_ref":"po-ext-1"}"#)
        #expect(duplicate.code == "duplicate_purchase_order")
        try fixture.expectLedgerConsistent()
    }

    @Test func draft_refusesBadReferencesServicesAndForeignCurrency() throws {
        let supplier = try fixture.supplier()
        let service = try fixture.item(type: "service")
        let missing = UUID().uuidString.lowercased()
        let reply = try admin.post(
            "/purchase-orders",
            """
            {"supplier_id":"\(supplier)","warehouse_id":"\(fixture.warehouse)","lines":[
             {"item_id":"\(service)","quantity":1,"unit_cost":5},{"item_id":"\(missing)","quantity":1},{"item_id":"\(service)","quantity":0}]}
            """)
        #expect(reply.status == 422)
        let fields = reply["errors"]?.arrayValue?.compactMap { $0["field"]?.stringValue } ?? []
        #expect(fields == ["lines[2].quantity"])
        let lines = try admin.post(
            "/purchase-orders",
            """
            {"supplier_id":"\(supplier)","warehouse_id":"\(fixture.warehouse)","lines":[{"item_id":"\(service)","quantity":1},{"item_id":"\(missing)","quantity":1}]}
            """)
        #expect(
            lines["errors"]?.arrayValue?.compactMap { $0["field"]?.stringValue } == [
                "lines[0].item_id", "lines[1].item_id",
            ])
        #expect(
            try admin.post(
                "/purchase-orders", #"{"supplier_id":"\#(missing)","warehouse_id":"\#(fixture.warehouse)"}"#)[
                    "errors"]?[0]?["field"] == "supplier_id")
        #expect(
            try admin.post("/purchase-orders", #"{"supplier_id":"\#(supplier)","warehouse_id":"\#(missing)"}"#)[
                "errors"]?[0]?["field"] == "warehouse_id")
        let euro = try fixture.supplier(#","currency":"EUR""#)
        let foreign = try admin.post(
            "/purchase-orders", #"{"supplier_id":"\#(euro)","warehouse_id":"\#(fixture.warehouse)"}"#)
        #expect(foreign.status == 422)
        #expect(foreign["errors"]?[0]?["field"] == "currency")
        #expect(
            try admin.post(
                "/purchase-orders",
                #"{"supplier_id":"\#(euro)","warehouse_id":"\#(fixture.warehouse)","currency":"USD"}"#
            ).status == 201)
        #expect(
            try admin.post(
                "/purchase-orders",
                #"{"supplier_id":"\#(supplier)","warehouse_id":"\#(fixture.warehouse)","currency":"EUR"}"#
            ).status == 422)
        let inactive = try fixture.supplier(#","status":"inactive""#)
        #expect(
            try admin.post(
                "/purchase-orders", #"{"supplier_id":"\#(inactive)","warehouse_id":"\#(fixture.warehouse)"}"#
            ).status == 422)
        #expect(
            try admin.post(
                "/purchase-orders", #"{"supplier_id":"\#(supplier)","warehouse_id":"\#(fixture.warehouse)","total":1}"#
            ).code == "read_only_field")
    }

    @Test func linesChangeOnlyInDraft_notesLonger_andIfMatchIsHonoured() throws {
        let supplier = try fixture.supplier()
        let item = try fixture.item()
        let order = try fixture.draft(
            supplier: supplier, lines: #"{"item_id":"\#(item)","quantity":1,"unit_cost":100}"#)
        let po = id(order)
        let patched = try admin.patch(
            "/purchase-orders/\(po)", #"{"lines":[{"item_id":"\#(item)","quantity":5,"unit_cost":100}]}"#,
            headers: [("If-Match", "\"1\"")])
        #expect(patched.status == 200)
        #expect(patched["total"] == .number("500"))
        #expect(patched["version"] == .number("2"))
        #expect(try admin.post("/purchase-orders/\(po)/order", headers: [("If-Match", "\"1\"")]).status == 412)
        let ordered = try admin.post("/purchase-orders/\(po)/order", headers: [("If-Match", "\"2\"")])
        #expect(ordered.status == 200)
        #expect(ordered["status"] == "ordered")
        #expect(ordered["ordered_at"]?.stringValue?.hasSuffix("Z") == true)
        let locked = try admin.patch("/purchase-orders/\(po)", #"{"lines":[]}"#)
        #expect(locked.status == 409)
        #expect(locked.code == "invalid_transition")
        #expect(locked["from_state"] == "ordered")
        #expect(
            try admin.patch("/purchase-orders/\(po)", #"{"supplier_id":"\#(supplier)"}"#).code == "invalid_transition")
        let noted = try admin.patch(
            "/purchase-orders/\(po)", #"{"notes":"Call before delivery","expected_date":"2027-01-05"}"#)
        #expect(noted.status == 200)
        #expect(noted["notes"] == "Call before delivery")
        let again = try admin.post("/purchase-orders/\(po)/order")
        #expect(again.code == "invalid_transition")
        #expect(again["from_state"] == "ordered")
        #expect(again["to_state"] == "ordered")
        // An empty draft cannot be ordered.
        let empty = try fixture.draft(supplier: supplier, lines: "")
        #expect(try admin.post("/purchase-orders/\(id(empty))/order").status == 422)
    }

    @Test func cancel_fromDraftOrOrdered_notOnceReceived() throws {
        let supplier = try fixture.supplier()
        let item = try fixture.item()
        let draft = try fixture.draft(supplier: supplier, lines: #"{"item_id":"\#(item)","quantity":1,"unit_cost":1}"#)
        let cancelled = try admin.post("/purchase-orders/\(id(draft))/cancel")
        #expect(cancelled["status"] == "cancelled")
        #expect(cancelled["cancelled_at"]?.stringValue?.hasSuffix("Z") == true)
        #expect(try admin.patch("/purchase-orders/\(id(draft))", #"{"notes":"x"}"#).code == "invalid_transition")
        #expect(try admin.post("/purchase-orders/\(id(draft))/order").code == "invalid_transition")
        let ordered = try fixture.ordered(
            supplier: supplier, lines: #"{"item_id":"\#(item)","quantity":10,"unit_cost":1}"#)
        #expect(try fixture.stock(item)?["incoming"] == .number("10"))
        #expect(try admin.post("/purchase-orders/\(ordered)/cancel", headers: [("If-Match", "\"9\"")]).status == 412)
        #expect(try admin.post("/purchase-orders/\(ordered)/cancel")["status"] == "cancelled")
        #expect(try fixture.stock(item)?["incoming"] == .number("0"))
        let partly = try fixture.ordered(
            supplier: supplier, lines: #"{"item_id":"\#(item)","quantity":10,"unit_cost":1}"#)
        _ = try admin.post("/purchase-orders/\(partly)/receipts", #"{"lines":[{"line_no":1,"quantity":4}]}"#)
        let refused = try admin.post("/purchase-orders/\(partly)/cancel")
        #expect(refused.status == 409)
        #expect(refused["from_state"] == "partially_received")
        #expect(refused["to_state"] == "cancelled")
        try fixture.expectLedgerConsistent()
    }

    @Test func receipts_atTwoCosts_moveTheAverage_andTheValuation() throws {
        let supplier = try fixture.supplier()
        let item = try fixture.item()
        let po = try fixture.ordered(
            supplier: supplier,
            lines: """
                {"item_id":"\(item)","quantity":3,"unit_cost":1000},{"item_id":"\(item)","quantity":7,"unit_cost":1333}
                """)
        let first = try admin.post("/purchase-orders/\(po)/receipts", #"{"lines":[{"line_no":1,"quantity":3}]}"#)
        #expect(first.status == 201)
        #expect(first["purchase_order"]?["status"] == "partially_received")
        #expect(first["receipt"]?["number"]?.stringValue?.hasPrefix("GR-") == true)
        #expect(first["receipt"]?["lines"]?[0]?["unit_cost"] == .number("1000"))
        #expect(first.header("Location")?.hasPrefix("/purchase-orders/\(po)/receipts/") == true)
        #expect(try fixture.averageCost(item) == 1000)
        #expect(try fixture.stock(item)?["on_hand"] == .number("3"))
        #expect(try fixture.stock(item)?["incoming"] == .number("7"))
        let second = try admin.post("/purchase-orders/\(po)/receipts", #"{"lines":[{"line_no":2,"quantity":7}]}"#)
        #expect(second["purchase_order"]?["status"] == "received")
        #expect(second["purchase_order"]?["received_at"]?.stringValue?.hasSuffix("Z") == true)
        #expect(second["purchase_order"]?["lines"]?[1]?["received_quantity"] == .number("7"))
        // (3 × 1000 + 7 × 1333) / 10 = 1233.1 → 1233.
        #expect(try fixture.averageCost(item) == 1233)
        #expect(try fixture.stock(item)?["on_hand"] == .number("10"))
        #expect(try fixture.stock(item)?["incoming"] == .number("0"))
        let valuation = try admin.get("/reports/stock-valuation?item_id=\(item)")
        #expect(valuation["data"]?[0]?["average_cost"] == .number("1233"))
        #expect(valuation["data"]?[0]?["value"] == .number("12330"))
        #expect(valuation["total_value"] == .number("12330"))
        let movements =
            try admin.get("/stock/movements?reference_type=purchase_order&reference_id=\(po)")["data"]?.arrayValue ?? []
        #expect(movements.map { $0["unit_cost"] } == [.number("1000"), .number("1333")])
        #expect(movements.allSatisfy { $0["kind"] == "receipt" })
        let receipts = try admin.get("/purchase-orders/\(po)/receipts")["data"]?.arrayValue ?? []
        #expect(receipts.count == 2)
        let receipt = try #require(receipts.first?["id"]?.stringValue)
        #expect(try admin.get("/purchase-orders/\(po)/receipts/\(receipt)")["purchase_order_id"] == .string(po))
        #expect(try admin.get("/purchase-orders/\(po)/receipts/\(UUID().uuidString)").status == 404)
        let done = try admin.post("/purchase-orders/\(po)/receipts", #"{"lines":[{"line_no":1,"quantity":1}]}"#)
        #expect(done.code == "invalid_transition")
        #expect(done["from_state"] == "received")
        try fixture.expectLedgerConsistent()
    }

    @Test func overReceipt_is409_withFigures_andWritesNothing() throws {
        let supplier = try fixture.supplier()
        let item = try fixture.item()
        let po = try fixture.ordered(supplier: supplier, lines: #"{"item_id":"\#(item)","quantity":5,"unit_cost":100}"#)
        #expect(
            try admin.post("/purchase-orders/\(po)/receipts", #"{"lines":[{"line_no":1,"quantity":2}]}"#).status == 201)
        let over = try admin.post("/purchase-orders/\(po)/receipts", #"{"lines":[{"line_no":1,"quantity":3.001}]}"#)
        #expect(over.status == 409)
        #expect(over.code == "over_receipt")
        #expect(over["lines"]?[0]?["ordered"] == .number("5"))
        #expect(over["lines"]?[0]?["received"] == .number("2"))
        #expect(over["lines"]?[0]?["requested"] == .number("3.001"))
        #expect(try fixture.stock(item)?["on_hand"] == .number("2"))
        #expect(
            try admin.post("/purchase-orders/\(po)/receipts", #"{"lines":[{"line_no":9,"quantity":1}]}"#)["errors"]?[
                0]?["field"] == "lines[0].line_no")
        #expect(try admin.post("/purchase-orders/\(po)/receipts", #"{"lines":[]}"#).status == 422)
        #expect(
            try admin.post("/purchase-orders/\(po)/receipts", #"{"lines":[{"line_no":1,"quantity":0}]}"#).status == 422)
        #expect(
            try admin.post(
                "/purchase-orders/\(po)/receipts", #"{"lines":[{"line_no":1,"quantity":1}]}"#,
                headers: [("If-Match", "\"1\"")]
            ).status == 412)
        #expect(
            try admin.post("/purchase-orders/\(po)/receipts", #"{"lines":[{"line_no":1,"quantity":3}]}"#)[
                "purchase_order"]?["status"] == "received")
        try fixture.expectLedgerConsistent()
    }

    @Test func receivingADraft_isAnInvalidTransition() throws {
        let supplier = try fixture.supplier()
        let item = try fixture.item()
        let draft = try fixture.draft(
            supplier: supplier, lines: #"{"item_id":"\#(item)","quantity":5,"unit_cost":100}"#)
        let reply = try admin.post("/purchase-orders/\(id(draft))/receipts", #"{"lines":[{"line_no":1,"quantity":1}]}"#)
        #expect(reply.status == 409)
        #expect(reply.code == "invalid_transition")
        #expect(reply["from_state"] == "draft")
        #expect(reply["to_state"] == "received")
        #expect(try fixture.stock(item) == nil)
    }

    @Test func incoming_showsOnStockAtOnce_andBelowReorderCountsIt() throws {
        let supplier = try fixture.supplier()
        let item = try fixture.item(extra: #","reorder_point":5"#)
        // A draft is not incoming yet.
        let draft = try fixture.draft(
            supplier: supplier, lines: #"{"item_id":"\#(item)","quantity":8,"unit_cost":100}"#)
        #expect(try fixture.stock(item)?["incoming"] ?? .number("0") == .number("0"))
        _ = try admin.post("/purchase-orders/\(id(draft))/order")
        let row = try #require(try fixture.stock(item))
        #expect(row["on_hand"] == .number("0"))
        #expect(row["incoming"] == .number("8"))
        // 0 available + 8 incoming is above the reorder point of 5.
        let below = try admin.get("/stock?below_reorder=true")["data"]?.arrayValue ?? []
        #expect(!below.contains { $0["item_id"] == .string(item) })
        // Another warehouse's order counts there, not here.
        let east = try PurchasingFixture.warehouse(admin)
        let other = try admin.post(
            "/purchase-orders",
            """
            {"supplier_id":"\(supplier)","warehouse_id":"\(east)","lines":[{"item_id":"\(item)","quantity":2,"unit_cost":100}]}
            """)
        _ = try admin.post("/purchase-orders/\(id(other.json))/order")
        #expect(try fixture.stock(item, warehouse: east)?["incoming"] == .number("2"))
        #expect(try fixture.stock(item)?["incoming"] == .number("8"))
        try fixture.expectLedgerConsistent()
    }

    @Test func list_filtersByStatusSupplierItemAndNumber() throws {
        let one = try fixture.supplier()
        let two = try fixture.supplier()
        let item = try fixture.item()
        let other = try fixture.item()
        let a = try fixture.draft(supplier: one, lines: #"{"item_id":"\#(item)","quantity":1,"unit_cost":1}"#)
        _ = try fixture.ordered(supplier: two, lines: #"{"item_id":"\#(other)","quantity":1,"unit_cost":1}"#)
        #expect(try admin.get("/purchase-orders?status=draft")["data"]?.arrayValue?.count == 1)
        #expect(try admin.get("/purchase-orders?status=ordered")["data"]?[0]?["supplier_id"] == .string(two))
        #expect(try admin.get("/purchase-orders?supplier_id=\(one)")["data"]?[0]?["id"] == a["id"])
        #expect(try admin.get("/purchase-orders?item_id=\(other)")["data"]?[0]?["supplier_id"] == .string(two))
        #expect(try admin.get("/purchase-orders?warehouse_id=\(fixture.warehouse)")["data"]?.arrayValue?.count == 2)
        let number = try #require(a["number"]?.stringValue)
        #expect(try admin.get("/purchase-orders?q=\(number.lowercased())")["data"]?.arrayValue?.count == 1)
        let newest = try admin.get("/purchase-orders?sort=-created_at&limit=1")
        #expect(newest["data"]?[0]?["supplier_id"] == .string(two))
        #expect(newest["next_cursor"]?.stringValue != nil)
        #expect(try admin.get("/purchase-orders?status=lost").status == 400)
    }

    @Test func events_andHistory_recordEveryStep() throws {
        let supplier = try fixture.supplier()
        let item = try fixture.item()
        let draft = try fixture.draft(
            supplier: supplier, lines: #"{"item_id":"\#(item)","quantity":4,"unit_cost":100}"#)
        let po = id(draft)
        _ = try admin.patch("/purchase-orders/\(po)", #"{"notes":"rush"}"#)
        _ = try admin.post("/purchase-orders/\(po)/order")
        _ = try admin.post("/purchase-orders/\(po)/receipts", #"{"lines":[{"line_no":1,"quantity":1}]}"#)
        _ = try admin.post("/purchase-orders/\(po)/receipts", #"{"lines":[{"line_no":1,"quantity":3}]}"#)
        let history = try admin.get("/purchase-orders/\(po)/history")["data"]?.arrayValue ?? []
        let types = history.compactMap { $0["type"]?.stringValue }.filter { $0.hasPrefix("purchase_order.") }
        #expect(
            types == [
                "purchase_order.created", "purchase_order.updated", "purchase_order.ordered", "purchase_order.received",
                "purchase_order.received",
            ])
        let received = try #require(history.last { $0["type"] == "purchase_order.received" })
        #expect(received["data"]?["receipt"]?["lines"]?[0]?["quantity"] == .number("3"))
        #expect(received["data"]?["purchase_order"]?["status"] == "received")
        #expect(history.contains { $0["type"] == "stock.received" })
        let cancelled = try fixture.draft(supplier: supplier, lines: "")
        _ = try admin.post("/purchase-orders/\(id(cancelled))/cancel")
        #expect(
            try admin.get("/purchase-orders/\(id(cancelled))/history")["data"]?.arrayValue?.last?["type"]
                == "purchase_order.cancelled")
        try fixture.expectLedgerConsistent()
    }

    @Test func idempotencyKey_replaysAReceipt_insteadOfReceivingTwice() throws {
        let supplier = try fixture.supplier()
        let item = try fixture.item()
        let po = try fixture.ordered(supplier: supplier, lines: #"{"item_id":"\#(item)","quantity":5,"unit_cost":100}"#)
        let body = #"{"lines":[{"line_no":1,"quantity":2}]}"#
        let first = try admin.post("/purchase-orders/\(po)/receipts", body, headers: [("Idempotency-Key", "rcpt-1")])
        let replay = try admin.post("/purchase-orders/\(po)/receipts", body, headers: [("Idempotency-Key", "rcpt-1")])
        #expect(first.status == 201)
        #expect(replay.status == 201)
        #expect(replay.header("Idempotent-Replayed") == "true")
        #expect(try fixture.stock(item)?["on_hand"] == .number("2"))
        try fixture.expectLedgerConsistent()
    }

    @Test func roles_financeOrders_warehouseReceives_readonlyReads_salesNothing() throws {
        let finance = app.client(key: try app.key(forRole: "finance"))
        let warehouse = app.client(key: try app.key(forRole: "warehouse"))
        let readonly = app.client(key: try app.key(forRole: "readonly"))
        let sales = app.client(key: try app.key(forRole: "sales"))
        let supplier = try fixture.supplier()
        let item = try fixture.item()
        let body =
            #"{"supplier_id":"\#(supplier)","warehouse_id":"\#(fixture.warehouse)","lines":[{"item_id":"\#(item)","quantity":3,"unit_cost":10}]}"#
        #expect(try warehouse.post("/purchase-orders", body).status == 403)
        #expect(try sales.post("/purchase-orders", body).status == 403)
        let created = try finance.post("/purchase-orders", body)
        #expect(created.status == 201)
        let po = id(created.json)
        #expect(try warehouse.post("/purchase-orders/\(po)/order").status == 403)
        #expect(try finance.post("/purchase-orders/\(po)/order").status == 200)
        let receipt = #"{"lines":[{"line_no":1,"quantity":1}]}"#
        #expect(try finance.post("/purchase-orders/\(po)/receipts", receipt).status == 403)
        #expect(try readonly.post("/purchase-orders/\(po)/receipts", receipt).status == 403)
        #expect(try warehouse.post("/purchase-orders/\(po)/receipts", receipt).status == 201)
        for client in [warehouse, readonly, finance] {
            #expect(try client.get("/purchase-orders/\(po)").status == 200)
            #expect(try client.get("/purchase-orders/\(po)/receipts").status == 200)
            #expect(try client.get("/purchasing/suggestions").status == 200)
        }
        #expect(try sales.get("/purchase-orders").status == 403)
        #expect(try sales.get("/purchasing/suggestions").status == 403)
        #expect(try readonly.post("/purchase-orders/\(po)/cancel").status == 403)
        #expect(
            try warehouse.post("/purchasing/suggestions/apply", #"{"warehouse_id":"\#(fixture.warehouse)"}"#).status
                == 403)
        #expect(
            try finance.post("/purchasing/suggestions/apply", #"{"warehouse_id":"\#(fixture.warehouse)"}"#).status
                == 200)
        try fixture.expectLedgerConsistent()
    }
}
