import Core
import Foundation
import Routing
import TestSupport
import Testing

/// Items bought in through purchase orders and sold through sales orders, over the API.
struct TradeFixture {
    let app: TestApp
    let admin: APIClient
    let warehouse: String
    let supplier: String

    init(_ app: TestApp) throws {
        self.app = app
        admin = app.client()
        let reply = try admin.post("/warehouses", #"{"code":"W-\#(UUID().uuidString.prefix(6))","name":"Main"}"#)
        guard reply.status == 201, let id = reply["id"]?.stringValue else { throw TestFailure("warehouse: \(reply)") }
        warehouse = id
        let supplier = try admin.post("/suppliers", #"{"name":"Supplier \#(UUID().uuidString.prefix(6))"}"#)
        guard supplier.status == 201, let supplierID = supplier["id"]?.stringValue else {
            throw TestFailure("supplier: \(supplier)")
        }
        self.supplier = supplierID
    }

    /// An item; `extra` adds members (`,"standard_cost":250`).
    func item(type: String = "stock", extra: String = "") throws -> String {
        let reply = try admin.post(
            "/items",
            #"{"sku":"T-\#(UUID().uuidString.prefix(8))","name":"Thing","type":"\#(type)","unit_price":1000\#(extra)}"#)
        guard reply.status == 201, let id = reply["id"]?.stringValue else { throw TestFailure("item: \(reply)") }
        return id
    }

    func customer() throws -> String {
        let reply = try admin.post("/customers", #"{"name":"Buyer \#(UUID().uuidString.prefix(6))"}"#)
        guard reply.status == 201, let id = reply["id"]?.stringValue else { throw TestFailure("customer: \(reply)") }
        return id
    }

    /// Orders `quantity` of `item` at `unitCost` and receives all of it.
    func receive(_ item: String, quantity: Int, unitCost: Int) throws {
        let draft = try admin.post(
            "/purchase-orders",
            #"""
            {"supplier_id":"\#(supplier)","warehouse_id":"\#(warehouse)",
             "lines":[{"item_id":"\#(item)","quantity":\#(quantity),"unit_cost":\#(unitCost)}]}
            """#)
        guard draft.status == 201, let id = draft["id"]?.stringValue else { throw TestFailure("po: \(draft)") }
        let ordered = try admin.post("/purchase-orders/\(id)/order")
        guard ordered.status == 200 else { throw TestFailure("order po: \(ordered)") }
        let received = try admin.post(
            "/purchase-orders/\(id)/receipts", #"{"lines":[{"line_no":1,"quantity":\#(quantity)}]}"#)
        guard received.status == 201 else { throw TestFailure("receipt: \(received)") }
    }

    /// A confirmed sales order; `lines` is the inside of the JSON array. Returns its id.
    func confirmedOrder(customer: String, lines: String) throws -> String {
        let draft = try admin.post(
            "/sales-orders", #"{"customer_id":"\#(customer)","warehouse_id":"\#(warehouse)","lines":[\#(lines)]}"#)
        guard draft.status == 201, let id = draft["id"]?.stringValue else { throw TestFailure("order: \(draft)") }
        let confirmed = try admin.post("/sales-orders/\(id)/confirm")
        guard confirmed.status == 200 else { throw TestFailure("confirm: \(confirmed)") }
        return id
    }

    /// Ships `lines` (the inside of the array: `{"line_no":1,"quantity":5}`); the shipment.
    func ship(_ order: String, lines: String) throws -> JSONValue {
        let reply = try admin.post("/sales-orders/\(order)/shipments", #"{"lines":[\#(lines)]}"#)
        guard reply.status == 201, let shipment = reply["shipment"] else { throw TestFailure("ship: \(reply)") }
        return shipment
    }

    func sql(_ text: String) throws -> String { try TestSQL.scalar(app.databaseURL, text) }
}
