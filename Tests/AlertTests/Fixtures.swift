import Core
import Foundation
import Routing
import TestSupport
import Testing

/// Warehouses, items, orders and invoices made through the API for the alert tests.
struct AlertFixture {
    let app: TestApp
    let admin: APIClient
    let warehouse: String

    init(_ app: TestApp) throws {
        self.app = app
        admin = app.client()
        let reply = try admin.post("/warehouses", #"{"code":"WH-\#(UUID().uuidString.prefix(6))","name":"Main"}"#)
        guard reply.status == 201, let id = reply["id"]?.stringValue else { throw TestFailure("warehouse: \(reply)") }
        warehouse = id
    }

    /// A date `days` from today (negative: in the past), `YYYY-MM-DD` in UTC.
    static func date(_ days: Int) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.locale = Locale(identifier: "en_US_POSIX")
        return formatter.string(from: Date().addingTimeInterval(Double(days) * 86_400))
    }

    func created(_ path: String, _ body: String) throws -> String {
        let reply = try admin.post(path, body)
        guard reply.status == 201, let id = reply["id"]?.stringValue else { throw TestFailure("\(path): \(reply)") }
        return id
    }

    func item(reorderPoint: Int) throws -> String {
        try created(
            "/items",
            #"{"sku":"A-\#(UUID().uuidString.prefix(8))","name":"Part","type":"stock","unit_price":500,"reorder_point":\#(reorderPoint)}"#
        )
    }

    /// Sets the item's counted quantity in the fixture's warehouse.
    func count(_ item: String, _ quantity: Int) throws {
        let reply = try admin.post(
            "/stock/adjustments",
            #"{"item_id":"\#(item)","warehouse_id":"\#(warehouse)","counted_quantity":\#(quantity),"reason":"count"}"#)
        guard reply.status == 201 || reply.status == 200 else { throw TestFailure("adjustment: \(reply)") }
    }

    func customer(_ extra: String = "") throws -> String {
        try created("/customers", #"{"name":"Customer \#(UUID().uuidString.prefix(6))"\#(extra)}"#)
    }

    /// An invoice for `amount`, issued `daysAgo` days ago (on the customer's 30-day terms).
    func invoice(_ customer: String, amount: Int, daysAgo: Int) throws -> String {
        let id = try created(
            "/invoices",
            #"{"customer_id":"\#(customer)","lines":[{"description":"Work","quantity":1,"unit_price":\#(amount)}]}"#)
        let issued = try admin.post("/invoices/\(id)/issue", #"{"issue_date":"\#(Self.date(-daysAgo))"}"#)
        guard issued.status == 200 else { throw TestFailure("issue: \(issued)") }
        return id
    }

    /// An ordered purchase order for `quantity` of `item`, expected on `expected`.
    func purchaseOrder(_ item: String, quantity: Int, expected: String) throws -> String {
        let supplier = try created("/suppliers", #"{"name":"Supplier \#(UUID().uuidString.prefix(6))"}"#)
        let id = try created(
            "/purchase-orders",
            #"{"supplier_id":"\#(supplier)","warehouse_id":"\#(warehouse)","expected_date":"\#(expected)","lines":[{"item_id":"\#(item)","quantity":\#(quantity),"unit_cost":100}]}"#
        )
        let ordered = try admin.post("/purchase-orders/\(id)/order")
        guard ordered.status == 200 else { throw TestFailure("order: \(ordered)") }
        return id
    }

    /// The alerts of a list query (`kind=…&status=…`).
    func alerts(_ query: String) throws -> [JSONValue] {
        let reply = try admin.get("/alerts?\(query)")
        guard reply.status == 200, let data = reply["data"]?.arrayValue else { throw TestFailure("alerts: \(reply)") }
        return data
    }

    func evaluate() throws -> JSONValue {
        let reply = try admin.post("/alerts/evaluate", "")
        guard reply.status == 200 else { throw TestFailure("evaluate: \(reply)") }
        return reply.json
    }
}
