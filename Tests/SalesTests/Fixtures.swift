import Core
import Foundation
import Routing
import TestSupport
import Testing

/// Customers, items, a warehouse and stock made through the API for order tests.
struct SalesFixture {
    let app: TestApp
    let admin: APIClient
    let warehouse: String

    init(_ app: TestApp, adminKey: String? = nil) throws {
        self.app = app
        admin = app.client(key: adminKey)
        let reply = try admin.post("/warehouses", #"{"code":"MAIN-\#(UUID().uuidString.prefix(6))","name":"Main"}"#)
        guard let id = reply["id"]?.stringValue else { throw TestFailure("warehouse: \(reply)") }
        warehouse = id
    }

    func customer(_ extra: String = "") throws -> String {
        let reply = try admin.post("/customers", #"{"name":"Buyer \#(UUID().uuidString.prefix(6))"\#(extra)}"#)
        guard reply.status == 201, let id = reply["id"]?.stringValue else { throw TestFailure("customer: \(reply)") }
        return id
    }

    /// A stock item (or `type: "service"`) with `stock` units on hand in the fixture's warehouse.
    func item(price: Int = 1000, stock: String? = nil, type: String = "stock", extra: String = "") throws -> String {
        let reply = try admin.post(
            "/items",
            #"{"sku":"SKU-\#(UUID().uuidString.prefix(8))","name":"Thing","type":"\#(type)","unit_price":\#(price)\#(extra)}"#
        )
        guard reply.status == 201, let id = reply["id"]?.stringValue else { throw TestFailure("item: \(reply)") }
        if let stock {
            let adjusted = try admin.post(
                "/stock/adjustments",
                #"{"item_id":"\#(id)","warehouse_id":"\#(warehouse)","quantity_delta":\#(stock),"reason":"opening"}"#)
            guard adjusted.status == 201 else { throw TestFailure("adjust: \(adjusted)") }
        }
        return id
    }

    /// A draft order; `lines` is the JSON array's inside.
    func order(customer: String, lines: String, extra: String = "", client: APIClient? = nil) throws -> JSONValue {
        let reply = try (client ?? admin).post(
            "/sales-orders",
            #"{"customer_id":"\#(customer)","warehouse_id":"\#(warehouse)","lines":[\#(lines)]\#(extra)}"#)
        guard reply.status == 201 else { throw TestFailure("order: \(reply)") }
        return reply.json
    }

    /// `on_hand` and `reserved` straight from the balance table.
    func stock(_ item: String) throws -> (onHand: String, reserved: String) {
        try StockLedger.balance(app.databaseURL, item: item, warehouse: warehouse) ?? ("0", "0")
    }

    func expectLedgerConsistent(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let violations = try StockLedger.violations(app.databaseURL)
        #expect(violations.isEmpty, "ledger identity broken: \(violations)", sourceLocation: sourceLocation)
    }
}
