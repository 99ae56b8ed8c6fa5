import Core
import Foundation
import Routing
import TestSupport
import Testing

/// `/items`: validation, uniqueness, merge patch, versions, lists, history, delete, roles.
@Suite struct ItemTests {
    let app: TestApp
    let admin: APIClient
    let fixture: StockFixture

    init() throws {
        app = try TestApp()
        admin = app.client()
        fixture = StockFixture(app)
    }

    @Test func create_returns201WithEveryField_andDefaults() throws {
        let reply = try admin.post(
            "/items",
            #"{"sku":"CH-1","name":"Chair","type":"stock","unit_price":24900,"tier_prices":{"gold":21900},"reorder_point":2.5}"#
        )
        #expect(reply.status == 201)
        let id = try #require(reply["id"]?.stringValue)
        #expect(reply.header("Location") == "/items/\(id)")
        #expect(reply.header("ETag") == "\"1\"")
        #expect(reply["currency"] == .string("USD"))
        #expect(reply["unit"] == .string("each"))
        #expect(reply["average_cost"] == .number("0"))
        #expect(reply["active"] == .bool(true))
        #expect(reply["reorder_point"] == .number("2.5"))
        #expect(reply["tier_prices"]?.objectValue?["gold"] == .number("21900"))
        for field in ["description", "reorder_quantity", "preferred_supplier_id", "external_ref"] {
            #expect(reply[field] == .null, "\(field) is present as null")
        }
        let fetched = try admin.get("/items/\(id)")
        #expect(fetched.status == 200)
        #expect(fetched["sku"] == .string("CH-1"))
    }

    @Test func duplicateSku_isConflictNamingTheField_caseInsensitively() throws {
        try fixture.item("DUP-1")
        let again = try admin.post("/items", #"{"sku":"dup-1","name":"Other","type":"stock","unit_price":1}"#)
        #expect(again.status == 409)
        #expect(again.code == "duplicate_item")
        #expect(again.text.contains(#""field":"sku""#))
    }

    @Test func duplicateExternalRef_isConflictNamingTheField() throws {
        try fixture.item("EXT-1", extra: #","external_ref":"erp-42""#)
        let again = try admin.post(
            "/items", #"{"sku":"EXT-2","name":"Other","type":"stock","unit_price":1,"external_ref":"erp-42"}"#)
        #expect(again.status == 409)
        #expect(again.code == "duplicate_item")
        #expect(again.text.contains(#""field":"external_ref""#))
        let found = try admin.get("/items?external_ref=erp-42")
        #expect(found["data"]?.arrayValue?.count == 1)
    }

    @Test func invalidFields_are422WithEveryFieldNamed() throws {
        let reply = try admin.post(
            "/items",
            #"{"sku":" ","name":"","type":"stock","unit_price":-1,"currency":"XXX","tier_prices":{"diamond":5}}"#)
        #expect(reply.status == 422)
        for field in ["sku", "name", "unit_price", "currency", "tier_prices.diamond"] {
            #expect(reply.text.contains(#""field":"\#(field)""#), "\(field) named in \(reply.text)")
        }
        let type = try admin.post("/items", #"{"sku":"T-1","name":"x","type":"gadget","unit_price":1}"#)
        #expect(type.status == 422)
        #expect(type.text.contains("type"))
    }

    @Test func quantitiesWithMoreThanThreeDecimals_are422() throws {
        let reply = try admin.post(
            "/items", #"{"sku":"Q-1","name":"x","type":"stock","unit_price":1,"reorder_point":1.0005}"#)
        #expect(reply.status == 422)
        #expect(reply.text.contains("reorder_point"))
        let exact = try admin.post(
            "/items", #"{"sku":"Q-2","name":"x","type":"stock","unit_price":1,"reorder_point":0.125}"#)
        #expect(exact["reorder_point"] == .number("0.125"))
    }

    @Test func unknownAndReadOnlyFields_areNamed() throws {
        let unknown = try admin.post(
            "/items", #"{"sku":"U-1","name":"x","type":"stock","unit_price":1,"colour":"red"}"#)
        #expect(unknown.status == 422)
        #expect(unknown.code == "unknown_field")
        let readOnly = try admin.post(
            "/items", #"{"sku":"U-1","name":"x","type":"stock","unit_price":1,"average_cost":5}"#)
        #expect(readOnly.status == 422)
        #expect(readOnly.code == "read_only_field")
        let id = try fixture.item("U-2")
        let patch = try admin.patch("/items/\(id)", #"{"average_cost":1}"#)
        #expect(patch.code == "read_only_field")
    }

    @Test func patch_isAMergePatch_withVersionsAndIfMatch() throws {
        let id = try fixture.item("P-1", extra: #","description":"old","tier_prices":{"gold":900,"silver":950}"#)
        let first = try admin.patch(
            "/items/\(id)", #"{"description":null,"tier_prices":{"gold":null,"platinum":800},"name":"Renamed"}"#,
            headers: [("If-Match", "\"1\"")])
        #expect(first.status == 200)
        #expect(first.header("ETag") == "\"2\"")
        #expect(first["description"] == .null)
        #expect(first["name"] == .string("Renamed"))
        #expect(
            first["tier_prices"] == .object(JSONObject([("platinum", .number("800")), ("silver", .number("950"))])))
        let stale = try admin.patch("/items/\(id)", #"{"name":"Again"}"#, headers: [("If-Match", "\"1\"")])
        #expect(stale.status == 412)
        #expect(stale["current_version"] == .number("2"))
        let unchanged = try admin.patch("/items/\(id)", #"{"name":"Renamed"}"#)
        #expect(unchanged.header("ETag") == "\"2\"")
        let nullRequired = try admin.patch("/items/\(id)", #"{"name":null}"#)
        #expect(nullRequired.status == 422)
        #expect(nullRequired.text.contains(#""field":"name""#))
        #expect(try admin.get("/items/\(id)", headers: [("If-None-Match", "\"2\"")]).status == 304)
    }

    @Test func history_listsCreatedAndUpdatedEvents() throws {
        let id = try fixture.item("H-1")
        _ = try admin.patch("/items/\(id)", #"{"active":false}"#)
        let history = try admin.get("/items/\(id)/history")
        let types = history["data"]?.arrayValue?.compactMap { $0.objectValue?["type"]?.stringValue }
        #expect(types == ["item.created", "item.updated"])
        #expect(try admin.get("/items/\(UUID().uuidString)/history").status == 404)
    }

    @Test func list_filtersAndSorts_withKeysetPages() throws {
        for (sku, name, type) in [
            ("L-A", "Zebra lamp", "stock"), ("L-B", "Apple crate", "stock"), ("L-C", "Mango box", "service"),
            ("L-D", "Lamp shade", "stock"), ("L-E", "Banana hook", "stock"),
        ] {
            _ = try admin.post("/items", #"{"sku":"\#(sku)","name":"\#(name)","type":"\#(type)","unit_price":100}"#)
        }
        _ = try admin.patch(
            "/items/\(try #require(try admin.get("/items?q=L-E")["data"]?.arrayValue?.first?.objectValue?["id"]?.stringValue))",
            #"{"active":false}"#)
        var names: [String] = []
        var cursor: String?
        repeat {
            let page = try admin.get("/items?sort=-name&limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""))
            #expect(page.status == 200)
            names += page["data"]?.arrayValue?.compactMap { $0.objectValue?["name"]?.stringValue } ?? []
            cursor = page["next_cursor"]?.stringValue
        } while cursor != nil
        #expect(names == ["Zebra lamp", "Mango box", "Lamp shade", "Banana hook", "Apple crate"])
        let lamps = try admin.get("/items?q=LAMP&sort=sku")["data"]?.arrayValue?.compactMap {
            $0.objectValue?["sku"]?.stringValue
        }
        #expect(lamps == ["L-A", "L-D"])
        #expect(try admin.get("/items?type=service")["data"]?.arrayValue?.count == 1)
        #expect(try admin.get("/items?active=false")["data"]?.arrayValue?.count == 1)
        #expect(try admin.get("/items?q=%25")["data"]?.arrayValue?.count == 0)  // `%` matches literally
        #expect(try admin.get("/items?sort=price").status == 400)
        #expect(try admin.get("/items?type=gadget").status == 400)
        #expect(try admin.get("/items?colour=red").code == "unknown_parameter")
        let first = try admin.get("/items?limit=1&sort=sku")
        let reused = try admin.get("/items?limit=1&sort=name&cursor=\(try #require(first["next_cursor"]?.stringValue))")
        #expect(reused.code == "invalid_cursor")
    }

    @Test func delete_removesAnUnusedItem_butAnItemWithMovementsIsInUse() throws {
        let unused = try fixture.item("D-1")
        #expect(try admin.delete("/items/\(unused)").status == 204)
        #expect(try admin.get("/items/\(unused)").status == 404)
        let used = try fixture.item("D-2")
        let warehouse = try fixture.warehouse("DW")
        try fixture.stock(used, warehouse, "3")
        let refused = try admin.delete("/items/\(used)")
        #expect(refused.status == 409)
        #expect(refused.code == "item_in_use")
        #expect(try admin.get("/items/\(used)").status == 200)
        try fixture.expectLedgerConsistent()
    }

    @Test func stockItemHoldingStock_cannotBecomeAService() throws {
        let id = try fixture.item("TY-1")
        let warehouse = try fixture.warehouse("TY")
        try fixture.stock(id, warehouse, "1")
        let refused = try admin.patch("/items/\(id)", #"{"type":"service"}"#)
        #expect(refused.status == 409)
        #expect(refused.code == "item_has_stock")
        try fixture.stock(id, warehouse, "-1")
        #expect(try admin.patch("/items/\(id)", #"{"type":"service"}"#)["type"] == .string("service"))
        try fixture.expectLedgerConsistent()
    }

    @Test func roles_warehouseManagesItems_salesAndReadonlyRead() throws {
        let id = try fixture.item("R-1")
        let sales = try fixture.client(role: "sales")
        #expect(try sales.get("/items/\(id)").status == 200)
        #expect(try sales.get("/items").status == 200)
        let denied = try sales.post("/items", #"{"sku":"R-2","name":"x","type":"stock","unit_price":1}"#)
        #expect(denied.status == 403)
        #expect(denied["permission"] == .string("items.write"))
        #expect(try sales.patch("/items/\(id)", #"{"name":"y"}"#).status == 403)
        let warehouse = try fixture.client(role: "warehouse")
        #expect(try warehouse.post("/items", #"{"sku":"R-3","name":"x","type":"stock","unit_price":1}"#).status == 201)
        #expect(try warehouse.patch("/items/\(id)", #"{"name":"y"}"#).status == 200)
        let readonly = try fixture.client(role: "readonly")
        #expect(try readonly.get("/items/\(id)").status == 200)
        #expect(try readonly.delete("/items/\(id)").status == 403)
        #expect(try app.client(key: "").get("/items").status == 401)
    }

    @Test func opportunityLines_nameItemsOfTheCatalog() throws {
        let customer = try #require(try admin.post("/customers", #"{"name":"Line Buyer"}"#)["id"]?.stringValue)
        let item = try fixture.item("OPP-1")
        let unknown = try admin.post(
            "/opportunities",
            #"{"customer_id":"\#(customer)","name":"Deal","lines":[{"item_id":"\#(UUID().uuidString)","quantity":1}]}"#)
        #expect(unknown.status == 422)
        #expect(unknown.text.contains(#""field":"lines[0].item_id""#))
        let known = try admin.post(
            "/opportunities",
            #"{"customer_id":"\#(customer)","name":"Deal","lines":[{"item_id":"\#(item)","quantity":1}]}"#)
        #expect(known.status == 201)
    }

    @Test func idempotencyKey_replaysTheCreatedItem() throws {
        let body = #"{"sku":"IDEM-1","name":"x","type":"stock","unit_price":1}"#
        let first = try admin.post("/items", body, headers: [("Idempotency-Key", "item-1")])
        let again = try admin.post("/items", body, headers: [("Idempotency-Key", "item-1")])
        #expect(first.status == 201)
        #expect(again.status == 201)
        #expect(again.header("Idempotent-Replayed") == "true")
        #expect(again["id"] == first["id"])
    }
}
