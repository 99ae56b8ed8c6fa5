import Core
import Foundation
import Routing
import TestSupport
import Testing

/// Amounts past 2^53−1 minor units (API.md "Money"): a line whose total would pass it and a
/// document whose lines together would are 422s, the same for orders, invoices and purchase
/// orders, which share the rule.
extension SalesOrderTests {
    /// The largest quantity the API reads times the largest price.
    static let hugeLine = #""quantity":999999999999.999,"unit_price":9007199254740991"#
    /// Within range alone; two of them are not.
    static let maxLine = #""quantity":1,"unit_price":9007199254740991"#

    func expect422(
        _ reply: APIClient.Reply, field: String, message: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(reply.status == 422, sourceLocation: sourceLocation)
        #expect(reply["errors"]?[0]?["field"] == .string(field), sourceLocation: sourceLocation)
        #expect(
            reply["errors"]?[0]?["message"]?.stringValue?.hasPrefix(message) == true, "\(reply)",
            sourceLocation: sourceLocation)
    }

    /// Orders and invoices price lines alike; their messages name the document.
    @Test(arguments: [
        ("/sales-orders", "makes the line total", "order total"), ("/invoices", "makes the line", "invoice"),
    ])
    func documentWithPricedLines_lineOrTotalPast2to53_is422(path: String, line: String, document: String) throws {
        let customer = try fixture.customer()
        expect422(
            try admin.post(path, #"{"customer_id":"\#(customer)","lines":[{"description":"Big",\#(Self.hugeLine)}]}"#),
            field: "lines[0].quantity", message: "\(line) larger than 2^53-1")
        expect422(
            try admin.post(
                path,
                """
                {"customer_id":"\(customer)","lines":[{"description":"A",\(Self.maxLine)},{"description":"B",\(Self.maxLine)}]}
                """), field: "lines", message: "make the \(document) larger than 2^53-1")
    }

    @Test func purchaseOrder_lineOrTotalPast2to53_is422() throws {
        let item = try fixture.item()
        let supplier = try admin.post("/suppliers", #"{"name":"Vendor \#(UUID().uuidString.prefix(6))"}"#)
        let supplierID = try #require(supplier["id"]?.stringValue)
        func order(_ lines: String) throws -> APIClient.Reply {
            try admin.post(
                "/purchase-orders",
                #"{"supplier_id":"\#(supplierID)","warehouse_id":"\#(fixture.warehouse)","lines":[\#(lines)]}"#)
        }
        expect422(
            try order(#"{"item_id":"\#(item)","quantity":999999999999.999,"unit_cost":9007199254740991}"#),
            field: "lines[0].quantity", message: "makes the line total larger than 2^53-1")
        let max = #"{"item_id":"\#(item)","quantity":1,"unit_cost":9007199254740991}"#
        expect422(try order("\(max),\(max)"), field: "lines", message: "make the order total larger than 2^53-1")
    }
}
