import Core
import Foundation
import Routing
import TestSupport
import Testing

/// `/warehouses`, `/stock`, `/stock/movements`, adjustments, transfers and the valuation,
/// over HTTP. Every test that writes stock ends with the ledger identity.
@Suite struct StockTests {
    let app: TestApp
    let admin: APIClient
    let fixture: StockFixture

    init() throws {
        app = try TestApp()
        admin = app.client()
        fixture = StockFixture(app)
    }

    // MARK: Warehouses

    @Test func warehouses_createGetPatchListHistory() throws {
        let created = try admin.post(
            "/warehouses", #"{"code":"MAIN","name":"Main","address":{"line1":"1 Road","city":"Town"}}"#)
        #expect(created.status == 201)
        let id = try #require(created["id"]?.stringValue)
        #expect(created.header("Location") == "/warehouses/\(id)")
        #expect(created["address"]?["line1"] == .string("1 Road"))
        let duplicate = try admin.post("/warehouses", #"{"code":"main","name":"Other"}"#)
        #expect(duplicate.status == 409)
        #expect(duplicate.code == "duplicate_warehouse")
        #expect(try admin.post("/warehouses", #"{"code":"a b","name":"x"}"#).status == 422)
        #expect(try admin.post("/warehouses", #"{"code":"X","name":"x","version":3}"#).code == "read_only_field")
        let patched = try admin.patch(
            "/warehouses/\(id)", #"{"address":null,"name":"Main hall"}"#, headers: [("If-Match", "\"1\"")])
        #expect(patched.status == 200)
        #expect(patched["address"] == .null)
        #expect(patched.header("ETag") == "\"2\"")
        #expect(try admin.patch("/warehouses/\(id)", #"{"name":"y"}"#, headers: [("If-Match", "\"1\"")]).status == 412)
        #expect(try admin.get("/warehouses/\(id)", headers: [("If-None-Match", "\"2\"")]).status == 304)
        try fixture.warehouse("EAST")
        #expect(try admin.get("/warehouses")["data"]?.arrayValue?.count == 2)
        let page = try admin.get("/warehouses?limit=1")
        #expect(page["next_cursor"]?.stringValue != nil)
        let types = try admin.get("/warehouses/\(id)/history")["data"]?.arrayValue?.compactMap {
            $0.objectValue?["type"]?.stringValue
        }
        #expect(types == ["warehouse.created", "warehouse.updated"])
        #expect(try admin.get("/warehouses/not-a-uuid").status == 404)
    }

    // MARK: Adjustments

    @Test func adjustment_byDeltaAndByCount_recordsMovementsAndBalances() throws {
        let item = try fixture.item("A-1")
        let warehouse = try fixture.warehouse("W1")
        let added = try fixture.adjust(item, warehouse, delta: "10.5")
        #expect(added.status == 201)
        let movement = try #require(added["movement"]?.objectValue)
        #expect(movement["kind"] == .string("adjustment"))
        #expect(movement["quantity"] == .number("10.5"))
        #expect(movement["reason"] == .string("test"))
        #expect(added.header("Location") == "/stock/movements/\(movement["id"]?.stringValue ?? "")")
        #expect(added["stock"]?.objectValue?["on_hand"] == .number("10.5"))

        let counted = try admin.post(
            "/stock/adjustments",
            #"{"item_id":"\#(item)","warehouse_id":"\#(warehouse)","counted_quantity":7,"reason":"cycle count"}"#)
        #expect(counted.status == 201)
        #expect(counted["quantity_delta"] == .number("-3.5"))
        #expect(counted["movement"]?.objectValue?["quantity"] == .number("-3.5"))
        let same = try admin.post(
            "/stock/adjustments",
            #"{"item_id":"\#(item)","warehouse_id":"\#(warehouse)","counted_quantity":7,"reason":"recount"}"#)
        #expect(same.status == 200)
        #expect(same["movement"] == .null)
        #expect(try fixture.level(item, warehouse)?.onHand == "7")
        #expect(try StockLedger.balance(app.databaseURL, item: item, warehouse: warehouse)?.onHand == "7.000")
        let got = try admin.get(try #require(added.header("Location")))
        #expect(got["id"] == movement["id"])
        #expect(try eventually { try admin.get("/events?types=stock.adjusted")["data"]?.arrayValue?.count == 2 })
        try fixture.expectLedgerConsistent()
    }

    @Test func adjustment_needsExactlyOneQuantityAndAReason() throws {
        let item = try fixture.item("A-2")
        let warehouse = try fixture.warehouse("W2")
        let both = try admin.post(
            "/stock/adjustments",
            #"{"item_id":"\#(item)","warehouse_id":"\#(warehouse)","counted_quantity":1,"quantity_delta":1,"reason":"x"}"#
        )
        #expect(both.status == 422)
        let neither = try admin.post(
            "/stock/adjustments", #"{"item_id":"\#(item)","warehouse_id":"\#(warehouse)","reason":"x"}"#)
        #expect(neither.status == 422)
        let noReason = try admin.post(
            "/stock/adjustments", #"{"item_id":"\#(item)","warehouse_id":"\#(warehouse)","quantity_delta":1}"#)
        #expect(noReason.status == 422)
        #expect(noReason.text.contains("reason"))
        let blank = try admin.post(
            "/stock/adjustments",
            #"{"item_id":"\#(item)","warehouse_id":"\#(warehouse)","quantity_delta":1,"reason":" "}"#)
        #expect(blank.status == 422)
        let precise = try fixture.adjust(item, warehouse, delta: "0.0001")
        #expect(precise.status == 422)
        #expect(precise.text.contains("quantity_delta"))
        let unknownItem = try fixture.adjust(UUID().uuidString.lowercased(), warehouse, delta: "1")
        #expect(unknownItem.status == 422)
        #expect(unknownItem.text.contains(#""field":"item_id""#))
        let unknownWarehouse = try fixture.adjust(item, UUID().uuidString.lowercased(), delta: "1")
        #expect(unknownWarehouse.text.contains(#""field":"warehouse_id""#))
        #expect(try fixture.level(item, warehouse) == nil)
        try fixture.expectLedgerConsistent()
    }

    @Test func adjustment_belowZero_isInsufficientStock_withTheFigures() throws {
        let item = try fixture.item("A-3")
        let warehouse = try fixture.warehouse("W3")
        try fixture.stock(item, warehouse, "2")
        let refused = try fixture.adjust(item, warehouse, delta: "-2.5")
        #expect(refused.status == 409)
        #expect(refused.code == "insufficient_stock")
        #expect(refused["type"] == .string("/problems/insufficient-stock"))
        let shortage = try #require(refused["shortages"]?.arrayValue?.first?.objectValue)
        #expect(shortage["item_id"] == .string(item))
        #expect(shortage["warehouse_id"] == .string(warehouse))
        #expect(shortage["requested"] == .number("2.5"))
        #expect(shortage["available"] == .number("2"))
        let countBelow = try admin.post(
            "/stock/adjustments",
            #"{"item_id":"\#(item)","warehouse_id":"\#(warehouse)","counted_quantity":-1,"reason":"x"}"#)
        #expect(countBelow.status == 422)
        #expect(try fixture.level(item, warehouse)?.onHand == "2")
        #expect(try admin.get("/problems/insufficient-stock").status == 200)
        try fixture.expectLedgerConsistent()
    }

    @Test func serviceItems_haveNoStock() throws {
        let service = try fixture.item("SVC-1", type: "service")
        let warehouse = try fixture.warehouse("W4")
        let other = try fixture.warehouse("W5")
        let adjust = try fixture.adjust(service, warehouse, delta: "1")
        #expect(adjust.status == 409)
        #expect(adjust.code == "not_stock_item")
        let transfer = try admin.post(
            "/stock/transfers",
            #"{"item_id":"\#(service)","from_warehouse_id":"\#(warehouse)","to_warehouse_id":"\#(other)","quantity":1}"#
        )
        #expect(transfer.code == "not_stock_item")
        try fixture.expectLedgerConsistent()
    }

    // MARK: Transfers

    @Test func transfer_writesTwoMovementsInOneTransaction() throws {
        let item = try fixture.item("T-1")
        let from = try fixture.warehouse("TF")
        let to = try fixture.warehouse("TT")
        try fixture.stock(item, from, "5")
        let reply = try admin.post(
            "/stock/transfers",
            #"{"item_id":"\#(item)","from_warehouse_id":"\#(from)","to_warehouse_id":"\#(to)","quantity":1.25}"#)
        #expect(reply.status == 201)
        let transferID = try #require(reply["id"]?.stringValue)
        #expect(reply["from_stock"]?.objectValue?["on_hand"] == .number("3.75"))
        #expect(reply["to_stock"]?.objectValue?["on_hand"] == .number("1.25"))
        let movements = try admin.get("/stock/movements?reference_type=transfer&reference_id=\(transferID)")
        let kinds = movements["data"]?.arrayValue?.compactMap { $0.objectValue?["kind"]?.stringValue }.sorted()
        #expect(kinds == ["transfer_in", "transfer_out"])
        #expect(try admin.get(try #require(reply.header("Location")))["data"]?.arrayValue?.count == 2)

        let same = try admin.post(
            "/stock/transfers",
            #"{"item_id":"\#(item)","from_warehouse_id":"\#(from)","to_warehouse_id":"\#(from)","quantity":1}"#)
        #expect(same.status == 422)
        #expect(same.text.contains("to_warehouse_id"))
        let tooMuch = try admin.post(
            "/stock/transfers",
            #"{"item_id":"\#(item)","from_warehouse_id":"\#(from)","to_warehouse_id":"\#(to)","quantity":4}"#)
        #expect(tooMuch.status == 409)
        #expect(tooMuch.code == "insufficient_stock")
        #expect(tooMuch["shortages"]?.arrayValue?.first?.objectValue?["available"] == .number("3.75"))
        #expect(try fixture.level(item, to)?.onHand == "1.25")
        #expect(
            try admin.post(
                "/stock/transfers",
                #"{"item_id":"\#(item)","from_warehouse_id":"\#(from)","to_warehouse_id":"\#(to)","quantity":0}"#
            ).status == 422)
        #expect(try eventually { try admin.get("/events?types=stock.transferred")["data"]?.arrayValue?.count == 1 })
        try fixture.expectLedgerConsistent()
    }

    // MARK: Reading

    @Test func stock_filtersByItemWarehouseAndBelowReorder() throws {
        let low = try fixture.item("S-LOW", extra: #","reorder_point":5"#)
        let high = try fixture.item("S-HIGH", extra: #","reorder_point":5"#)
        let none = try fixture.item("S-NONE")
        let one = try fixture.warehouse("S1")
        let two = try fixture.warehouse("S2")
        try fixture.stock(low, one, "5")
        try fixture.stock(high, one, "6")
        try fixture.stock(none, one, "1")
        try fixture.stock(low, two, "9")
        let all = try admin.get("/stock")
        #expect(all["data"]?.arrayValue?.count == 4)
        let row = try #require(
            try admin.get("/stock?item_id=\(low)&warehouse_id=\(one)")["data"]?.arrayValue?.first?.objectValue)
        for field in [
            "item_id", "warehouse_id", "sku", "on_hand", "reserved", "available", "incoming", "reorder_point",
            "updated_at",
        ] {
            #expect(row[field] != nil, "\(field) present")
        }
        #expect(row["incoming"] == .number("0"))
        #expect(try admin.get("/stock?warehouse_id=\(one)")["data"]?.arrayValue?.count == 3)
        #expect(try admin.get("/stock?item_id=\(low)")["data"]?.arrayValue?.count == 2)
        let below = try admin.get("/stock?below_reorder=true")["data"]?.arrayValue?.compactMap { $0.objectValue }
        #expect(below?.count == 1)
        #expect(below?.first?["item_id"] == .string(low))
        #expect(below?.first?["warehouse_id"] == .string(one))
        var seen = 0
        var cursor: String?
        repeat {
            let page = try admin.get("/stock?limit=3" + (cursor.map { "&cursor=\($0)" } ?? ""))
            seen += page["data"]?.arrayValue?.count ?? 0
            cursor = page["next_cursor"]?.stringValue
        } while cursor != nil
        #expect(seen == 4)
        #expect(try admin.get("/stock?below_reorder=yes").status == 400)
        try fixture.expectLedgerConsistent()
    }

    @Test func belowReorder_countsIncoming_fromTheViewPurchasingWillFill() throws {
        let item = try fixture.item("IN-1", extra: #","reorder_point":5"#)
        let warehouse = try fixture.warehouse("IN")
        try fixture.stock(item, warehouse, "5")
        #expect(try admin.get("/stock?below_reorder=true")["data"]?.arrayValue?.count == 1)
        // Stands in for Purchasing's migration: 1 unit on an open purchase order.
        try TestSQL.execute(
            app.databaseURL,
            """
            CREATE OR REPLACE VIEW stock_incoming (item_id, warehouse_id, quantity) AS
            SELECT '\(item)'::uuid, '\(warehouse)'::uuid, 1::numeric(18,3)
            """)
        #expect(
            try admin.get("/stock?item_id=\(item)")["data"]?.arrayValue?.first?.objectValue?["incoming"] == .number("1")
        )
        #expect(try admin.get("/stock?below_reorder=true")["data"]?.arrayValue?.count == 0)
        try fixture.expectLedgerConsistent()
    }

    @Test func movements_filterByKindReferenceAndTime_andPage() throws {
        let item = try fixture.item("M-1")
        let other = try fixture.item("M-2")
        let one = try fixture.warehouse("M1")
        let two = try fixture.warehouse("M2")
        let before = Date()
        try fixture.stock(item, one, "10")
        try fixture.stock(other, one, "1")
        _ = try admin.post(
            "/stock/transfers",
            #"{"item_id":"\#(item)","from_warehouse_id":"\#(one)","to_warehouse_id":"\#(two)","quantity":3}"#)
        #expect(try admin.get("/stock/movements")["data"]?.arrayValue?.count == 4)
        #expect(try admin.get("/stock/movements?item_id=\(item)")["data"]?.arrayValue?.count == 3)
        #expect(try admin.get("/stock/movements?warehouse_id=\(two)")["data"]?.arrayValue?.count == 1)
        #expect(try admin.get("/stock/movements?kind=adjustment")["data"]?.arrayValue?.count == 2)
        #expect(try admin.get("/stock/movements?kind=transfer_out&item_id=\(item)")["data"]?.arrayValue?.count == 1)
        #expect(try admin.get("/stock/movements?reference_type=transfer")["data"]?.arrayValue?.count == 2)
        let stamp = RFC3339.format(before.addingTimeInterval(-60))!
        #expect(try admin.get("/stock/movements?created_after=\(stamp)")["data"]?.arrayValue?.count == 4)
        #expect(try admin.get("/stock/movements?created_before=\(stamp)")["data"]?.arrayValue?.count == 0)
        #expect(try admin.get("/stock/movements?created_after=yesterday").status == 400)
        #expect(try admin.get("/stock/movements?kind=theft").status == 400)
        var ids: [String] = []
        var cursor: String?
        repeat {
            let page = try admin.get(
                "/stock/movements?limit=1&item_id=\(item)" + (cursor.map { "&cursor=\($0)" } ?? ""))
            ids += page["data"]?.arrayValue?.compactMap { $0.objectValue?["id"]?.stringValue } ?? []
            cursor = page["next_cursor"]?.stringValue
        } while cursor != nil
        #expect(ids.count == 3)
        #expect(Set(ids).count == 3)
        let first = try #require(
            try admin.get("/stock/movements?kind=adjustment")["data"]?.arrayValue?.first?.objectValue)
        #expect(first["created_by"] == (try admin.get("/me")["id"]))
        #expect(first["reference"] == .null)
        #expect(first["unit_cost"] == .null)
        try fixture.expectLedgerConsistent()
    }

    @Test func ledger_isAppendOnly_inTheDatabase() throws {
        let item = try fixture.item("AO-1")
        let warehouse = try fixture.warehouse("AO")
        try fixture.stock(item, warehouse, "1")
        #expect(throws: (any Error).self) {
            try TestSQL.execute(app.databaseURL, "UPDATE stock_movements SET quantity = 5")
        }
        #expect(throws: (any Error).self) { try TestSQL.execute(app.databaseURL, "DELETE FROM stock_movements") }
        #expect(try admin.send("DELETE", "/stock/movements").status == 405)
        try fixture.expectLedgerConsistent()
    }

    // MARK: Roles

    @Test func roles_warehouseWritesStock_salesReads_valuationIsNotForSales() throws {
        let item = try fixture.item("RO-1")
        let warehouse = try fixture.warehouse("RO")
        let clerk = try fixture.client(role: "warehouse")
        #expect(try fixture.adjust(item, warehouse, delta: "2", client: clerk).status == 201)
        #expect(try clerk.post("/warehouses", #"{"code":"RO2","name":"x"}"#).status == 201)
        let sales = try fixture.client(role: "sales")
        #expect(try sales.get("/stock").status == 200)
        #expect(try sales.get("/stock/movements").status == 200)
        #expect(try sales.get("/warehouses").status == 200)
        #expect(try fixture.adjust(item, warehouse, delta: "1", client: sales).status == 403)
        #expect(try sales.post("/warehouses", #"{"code":"RO3","name":"x"}"#).status == 403)
        #expect(try sales.get("/reports/stock-valuation").status == 403)
        let finance = try fixture.client(role: "finance")
        #expect(try finance.get("/reports/stock-valuation").status == 200)
        #expect(try finance.post("/stock/transfers", "{}").status == 403)
        let readonly = try fixture.client(role: "readonly")
        #expect(try readonly.get("/stock").status == 200)
        #expect(try readonly.get("/reports/stock-valuation").status == 200)
        try fixture.expectLedgerConsistent()
    }

    @Test func adjustment_withIdempotencyKey_movesStockOnce() throws {
        let item = try fixture.item("ID-1")
        let warehouse = try fixture.warehouse("ID")
        let body = #"{"item_id":"\#(item)","warehouse_id":"\#(warehouse)","quantity_delta":4,"reason":"delivery"}"#
        let first = try admin.post("/stock/adjustments", body, headers: [("Idempotency-Key", "adj-1")])
        let again = try admin.post("/stock/adjustments", body, headers: [("Idempotency-Key", "adj-1")])
        #expect(first.status == 201)
        #expect(again.header("Idempotent-Replayed") == "true")
        #expect(try fixture.level(item, warehouse)?.onHand == "4")
        try fixture.expectLedgerConsistent()
    }
}
