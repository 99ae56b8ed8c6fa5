import Foundation

/// Stock bought in at known costs through purchase orders, over the API: for tests of what
/// the goods cost when they ship.
public struct CostedStock {
    public let admin: APIClient
    public let warehouse: String
    public let supplier: String

    public init(_ app: TestApp) throws {
        admin = app.client()
        let reply = try admin.post("/warehouses", #"{"code":"C-\#(UUID().uuidString.prefix(6))","name":"Costed"}"#)
        guard reply.status == 201, let id = reply["id"]?.stringValue else { throw TestFailure("warehouse: \(reply)") }
        warehouse = id
        let supplier = try admin.post("/suppliers", #"{"name":"Supplier \#(UUID().uuidString.prefix(6))"}"#)
        guard supplier.status == 201, let supplierID = supplier["id"]?.stringValue else {
            throw TestFailure("supplier: \(supplier)")
        }
        self.supplier = supplierID
    }

    /// A new stock item.
    public func item() throws -> String {
        let reply = try admin.post(
            "/items", #"{"sku":"K-\#(UUID().uuidString.prefix(8))","name":"Costed","type":"stock","unit_price":1000}"#)
        guard reply.status == 201, let id = reply["id"]?.stringValue else { throw TestFailure("item: \(reply)") }
        return id
    }

    /// Orders `quantity` of `item` at `unitCost` from the supplier and receives all of it.
    public func receive(_ item: String, quantity: Int, unitCost: Int) throws {
        let draft = try admin.post(
            "/purchase-orders",
            #"{"supplier_id":"\#(supplier)","warehouse_id":"\#(warehouse)","lines":[{"item_id":"\#(item)","quantity":\#(quantity),"unit_cost":\#(unitCost)}]}"#
        )
        guard draft.status == 201, let id = draft["id"]?.stringValue else { throw TestFailure("po: \(draft)") }
        let ordered = try admin.post("/purchase-orders/\(id)/order")
        guard ordered.status == 200 else { throw TestFailure("order po: \(ordered)") }
        let received = try admin.post(
            "/purchase-orders/\(id)/receipts", #"{"lines":[{"line_no":1,"quantity":\#(quantity)}]}"#)
        guard received.status == 201 else { throw TestFailure("receipt: \(received)") }
    }

    /// The issue #20 example: 10 received at 500 and 10 at 700 (average 600), then 5 sold at
    /// 1,000 to `customer` and shipped. The confirmed order's id.
    public func shippedFiveOfTwenty(customer: String) throws -> String {
        let item = try item()
        try receive(item, quantity: 10, unitCost: 500)
        try receive(item, quantity: 10, unitCost: 700)
        let draft = try admin.post(
            "/sales-orders",
            #"{"customer_id":"\#(customer)","warehouse_id":"\#(warehouse)","lines":[{"item_id":"\#(item)","quantity":5,"unit_price":1000}]}"#
        )
        guard draft.status == 201, let id = draft["id"]?.stringValue else { throw TestFailure("order: \(draft)") }
        let confirmed = try admin.post("/sales-orders/\(id)/confirm")
        guard confirmed.status == 200 else { throw TestFailure("confirm: \(confirmed)") }
        let shipped = try admin.post("/sales-orders/\(id)/shipments", #"{"lines":[{"line_no":1,"quantity":5}]}"#)
        guard shipped.status == 201 else { throw TestFailure("ship: \(shipped)") }
        return id
    }
}
