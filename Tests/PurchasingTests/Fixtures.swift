import Core
import Foundation
import Routing
import TestSupport
import Testing

/// A warehouse, suppliers, items and purchase orders made through the API for purchasing tests.
struct PurchasingFixture {
    let app: TestApp
    let admin: APIClient
    let warehouse: String

    init(_ app: TestApp) throws {
        self.app = app
        admin = app.client()
        warehouse = try Self.warehouse(admin)
    }

    static func warehouse(_ client: APIClient) throws -> String {
        let reply = try client.post("/warehouses", #"{"code":"WH-\#(UUID().uuidString.prefix(6))","name":"Receiving"}"#)
        guard reply.status == 201, let id = reply["id"]?.stringValue else { throw TestFailure("warehouse: \(reply)") }
        return id
    }

    /// A supplier; `extra` is more members for the body (`,"email":"…"`).
    func supplier(_ extra: String = "") throws -> String {
        let reply = try admin.post("/suppliers", #"{"name":"Supplier \#(UUID().uuidString.prefix(6))"\#(extra)}"#)
        guard reply.status == 201, let id = reply["id"]?.stringValue else { throw TestFailure("supplier: \(reply)") }
        return id
    }

    /// A stock item (or `type: "service"`); `extra` adds members (`,"reorder_point":5`).
    func item(type: String = "stock", extra: String = "") throws -> String {
        let reply = try admin.post(
            "/items",
            #"{"sku":"P-\#(UUID().uuidString.prefix(8))","name":"Part","type":"\#(type)","unit_price":5000\#(extra)}"#)
        guard reply.status == 201, let id = reply["id"]?.stringValue else { throw TestFailure("item: \(reply)") }
        return id
    }

    /// A draft purchase order; `lines` is the inside of the JSON array.
    func draft(supplier: String, lines: String, extra: String = "") throws -> JSONValue {
        let reply = try admin.post(
            "/purchase-orders",
            #"{"supplier_id":"\#(supplier)","warehouse_id":"\#(warehouse)","lines":[\#(lines)]\#(extra)}"#)
        guard reply.status == 201 else { throw TestFailure("purchase order: \(reply)") }
        return reply.json
    }

    /// An ordered purchase order; returns its id.
    func ordered(supplier: String, lines: String) throws -> String {
        let id = try draft(supplier: supplier, lines: lines)["id"]!.stringValue!
        let reply = try admin.post("/purchase-orders/\(id)/order")
        guard reply.status == 200 else { throw TestFailure("order: \(reply)") }
        return id
    }

    /// `GET /stock` for the item in the fixture's warehouse (nil when it has no row).
    func stock(_ item: String, warehouse: String? = nil) throws -> JSONValue? {
        let reply = try admin.get("/stock?item_id=\(item)&warehouse_id=\(warehouse ?? self.warehouse)")
        return reply["data"]?.arrayValue?.first
    }

    func averageCost(_ item: String) throws -> Int64? {
        try admin.get("/items/\(item)")["average_cost"]?.int64Value
    }

    func expectLedgerConsistent(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let violations = try StockLedger.violations(app.databaseURL)
        #expect(violations.isEmpty, "ledger identity broken: \(violations)", sourceLocation: sourceLocation)
    }
}
