import Core
import Foundation
import Routing
import TestSupport
import Testing

/// Users of every working role, a warehouse, suppliers, items with stock, and rules, made
/// through the API for approval tests.
struct ApprovalFixture {
    let app: TestApp
    let admin: APIClient
    let finance: APIClient
    let sales: APIClient
    let warehouseClerk: APIClient
    let warehouse: String

    init(_ app: TestApp) throws {
        self.app = app
        admin = app.client()
        finance = app.client(key: try app.key(forRole: "finance"))
        sales = app.client(key: try app.key(forRole: "sales"))
        warehouseClerk = app.client(key: try app.key(forRole: "warehouse"))
        let reply = try admin.post("/warehouses", #"{"code":"AP-\#(UUID().uuidString.prefix(6))","name":"Main"}"#)
        guard reply.status == 201, let id = reply["id"]?.stringValue else { throw TestFailure("warehouse: \(reply)") }
        warehouse = id
    }

    /// A client for a new user with `role`, and that user's id.
    func user(_ role: String) throws -> (client: APIClient, id: String) {
        let client = app.client(key: try app.key(forRole: role))
        guard let id = try client.get("/me")["id"]?.stringValue else { throw TestFailure("me") }
        return (client, id)
    }

    /// A rule; `document`, `condition` and `steps` are JSON.
    @discardableResult
    func rule(_ document: String, condition: String, steps: String, extra: String = "") throws -> JSONValue {
        let reply = try admin.post(
            "/approval-rules", #"{"document":"\#(document)","condition":\#(condition),"steps":\#(steps)\#(extra)}"#)
        guard reply.status == 201 else { throw TestFailure("rule: \(reply)") }
        return reply.json
    }

    func supplier() throws -> String {
        let reply = try admin.post("/suppliers", #"{"name":"Supplier \#(UUID().uuidString.prefix(6))"}"#)
        guard reply.status == 201, let id = reply["id"]?.stringValue else { throw TestFailure("supplier: \(reply)") }
        return id
    }

    /// A stock item with `stock` units on hand in the fixture's warehouse.
    func item(price: Int = 1000, stock: Int = 0) throws -> String {
        let reply = try admin.post(
            "/items",
            #"{"sku":"AP-\#(UUID().uuidString.prefix(8))","name":"Thing","type":"stock","unit_price":\#(price)}"#)
        guard reply.status == 201, let id = reply["id"]?.stringValue else { throw TestFailure("item: \(reply)") }
        if stock != 0 { try adjust(id, by: stock) }
        return id
    }

    func adjust(_ item: String, by delta: Int) throws {
        let adjusted = try admin.post(
            "/stock/adjustments",
            #"{"item_id":"\#(item)","warehouse_id":"\#(warehouse)","quantity_delta":\#(delta),"reason":"count"}"#)
        guard adjusted.status == 201 else { throw TestFailure("adjust: \(adjusted)") }
    }

    /// A draft purchase order by finance for `quantity` × `unitCost`; returns its id.
    func purchaseOrder(supplier: String, item: String, quantity: Int, unitCost: Int) throws -> String {
        let reply = try finance.post(
            "/purchase-orders",
            #"{"supplier_id":"\#(supplier)","warehouse_id":"\#(warehouse)","lines":[{"item_id":"\#(item)","quantity":\#(quantity),"unit_cost":\#(unitCost)}]}"#
        )
        guard reply.status == 201, let id = reply["id"]?.stringValue else { throw TestFailure("po: \(reply)") }
        return id
    }

    func customer() throws -> String {
        let reply = try admin.post("/customers", #"{"name":"Buyer \#(UUID().uuidString.prefix(6))"}"#)
        guard reply.status == 201, let id = reply["id"]?.stringValue else { throw TestFailure("customer: \(reply)") }
        return id
    }

    /// A draft sales order by the sales user: `quantity` of `item` at `discount` percent.
    func salesOrder(customer: String, item: String, quantity: Int, discount: String = "0") throws -> String {
        let reply = try sales.post(
            "/sales-orders",
            #"{"customer_id":"\#(customer)","warehouse_id":"\#(warehouse)","lines":[{"item_id":"\#(item)","quantity":\#(quantity),"discount_percent":\#(discount)}]}"#
        )
        guard reply.status == 201, let id = reply["id"]?.stringValue else { throw TestFailure("so: \(reply)") }
        return id
    }

    /// `reserved` of `GET /stock` for the item in the fixture's warehouse.
    func reserved(_ item: String) throws -> String? {
        try admin.get("/stock?item_id=\(item)&warehouse_id=\(warehouse)")["data"]?.arrayValue?.first?["reserved"]?
            .numberText
    }

    /// The event types of a record's history, oldest first.
    func history(_ path: String) throws -> [String] {
        try admin.get("\(path)/history")["data"]?.arrayValue?.compactMap { $0["type"]?.stringValue } ?? []
    }

    func expectLedgerConsistent(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let violations = try StockLedger.violations(app.databaseURL)
        #expect(violations.isEmpty, "ledger identity broken: \(violations)", sourceLocation: sourceLocation)
    }
}
