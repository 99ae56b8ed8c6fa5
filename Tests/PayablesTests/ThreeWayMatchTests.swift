import Core
import Foundation
import Routing
import TestSupport
import Testing

/// Bills from purchase orders: received − billed bounds each line, the order's bill status
/// follows, prices are matched against the order.
@Suite struct ThreeWayMatchTests {
    let app: TestApp
    let payables: PayablesFixture
    var admin: APIClient { payables.admin }

    init() throws {
        app = try TestApp()
        payables = PayablesFixture(app)
    }

    @Test func billingReceivedQuantities_movesBillStatus_andRefusesOverBilling() throws {
        let supplier = try payables.supplier(#","payment_terms_days":20"#)
        let order = try payables.receivedOrder(supplier: supplier, quantity: 10, unitCost: 1000, received: 10)
        #expect(try payables.order(order)["bill_status"] == "not_billed")

        let six = try payables.billOrder(order, quantity: 6, billDate: "2026-03-01")
        #expect(six.status == 201, "\(six)")
        #expect(six["number"]?.stringValue?.hasPrefix("BILL-") == true)
        #expect(six["status"] == "draft")
        #expect(six["purchase_order_id"] == .string(order))
        #expect(six["total"] == .number("6000"))
        #expect(six["price_variance"] == .bool(false))
        // The due date comes from the supplier's 20 days of terms.
        #expect(six["due_date"] == "2026-03-21")
        #expect(six["lines"]?[0]?["purchase_order_line_no"] == .number("1"))
        #expect(six["lines"]?[0]?["purchase_order_unit_cost"] == .number("1000"))
        var po = try payables.order(order)
        #expect(po["bill_status"] == "partially_billed")
        #expect(po["lines"]?[0]?["billed_quantity"] == .number("6"))

        let five = try payables.billOrder(order, quantity: 5)
        #expect(five.status == 409, "\(five)")
        #expect(five.code == "over_billing")
        let figures = try #require(five["lines"]?[0])
        #expect(figures["line_no"] == .number("1"))
        #expect(figures["received"] == .number("10"))
        #expect(figures["billed"] == .number("6"))
        #expect(figures["requested"] == .number("5"))
        #expect(try payables.order(order)["lines"]?[0]?["billed_quantity"] == .number("6"))

        let four = try payables.billOrder(order, quantity: 4)
        #expect(four.status == 201, "\(four)")
        po = try payables.order(order)
        #expect(po["bill_status"] == "billed")
        #expect(po["lines"]?[0]?["billed_quantity"] == .number("10"))
        #expect(try admin.get("/supplier-bills?purchase_order_id=\(order)")["data"]?.arrayValue?.count == 2)

        // Voiding a bill gives its quantities back to the order.
        let voided = try admin.post("/supplier-bills/\(four["id"]!.stringValue!)/void")
        #expect(voided.status == 200, "\(voided)")
        #expect(voided["status"] == "void")
        #expect(voided["balance_due"] == .number("0"))
        po = try payables.order(order)
        #expect(po["bill_status"] == "partially_billed")
        #expect(po["lines"]?[0]?["billed_quantity"] == .number("6"))
        #expect(try payables.billOrder(order, quantity: 4).status == 201)
        try payables.expectBooksBalance()
    }

    @Test func onlyReceivedQuantitiesAreBilled_andOnlyOrderedOrders() throws {
        let supplier = try payables.supplier()
        let order = try payables.receivedOrder(supplier: supplier, quantity: 10, received: 3)
        let early = try payables.billOrder(order, quantity: 4)
        #expect(early.status == 409)
        #expect(early.code == "over_billing")
        #expect(early["lines"]?[0]?["received"] == .number("3"))
        #expect(try payables.billOrder(order, quantity: 3).status == 201)
        #expect(try payables.order(order)["bill_status"] == "partially_billed")
        let noLine = try admin.post(
            "/purchase-orders/\(order)/bill", #"{"supplier_reference":"X-1","lines":[{"line_no":7,"quantity":1}]}"#)
        #expect(noLine.status == 422)
        #expect(noLine.text.contains(#""field":"lines[0].line_no""#))
        let empty = try admin.post("/purchase-orders/\(order)/bill", #"{"supplier_reference":"X-2","lines":[]}"#)
        #expect(empty.status == 422)
        // A draft order has received nothing and is not billed at all.
        let warehouse = try #require(
            try admin.post("/warehouses", #"{"code":"D-\#(UUID().uuidString.prefix(6))","name":"D"}"#)["id"]?
                .stringValue)
        let item = try #require(
            try admin.post(
                "/items", #"{"sku":"D-\#(UUID().uuidString.prefix(6))","name":"D","type":"stock","unit_price":100}"#)[
                    "id"]?
                .stringValue)
        let draft = try #require(
            try admin.post(
                "/purchase-orders",
                #"{"supplier_id":"\#(supplier)","warehouse_id":"\#(warehouse)","lines":[{"item_id":"\#(item)","quantity":1,"unit_cost":5}]}"#
            )["id"]?.stringValue)
        let refused = try payables.billOrder(draft, quantity: 1)
        #expect(refused.status == 409)
        #expect(refused.code == "invalid_transition")
        #expect(try payables.billOrder(UUID().uuidString, quantity: 1).status == 404)
        try payables.expectBooksBalance()
    }

    @Test func aHigherUnitCostThanTheOrder_needsFinanceWithAcceptVariance() throws {
        let supplier = try payables.supplier()
        let order = try payables.receivedOrder(supplier: supplier, quantity: 10, unitCost: 1000)
        let bill = try payables.billOrder(order, quantity: 5, unitCost: 1100)
        #expect(bill.status == 201, "\(bill)")
        #expect(bill["price_variance"] == .bool(true))
        #expect(bill["total"] == .number("5500"))
        let id = try #require(bill["id"]?.stringValue)

        let plain = try admin.post("/supplier-bills/\(id)/post")
        #expect(plain.status == 409, "\(plain)")
        #expect(plain.code == "price_variance")
        #expect(plain["lines"]?[0]?["purchase_order_unit_cost"] == .number("1000"))
        #expect(plain["lines"]?[0]?["unit_cost"] == .number("1100"))
        #expect(try payables.bill(id)["status"] == "draft")

        for role in ["warehouse", "sales", "readonly"] {
            let client = app.client(key: try app.key(forRole: role))
            let reply = try client.post("/supplier-bills/\(id)/post", #"{"accept_variance":true}"#)
            #expect(reply.status == 403, "\(role): \(reply)")
        }
        let finance = app.client(key: try app.key(forRole: "finance"))
        let financeID = try #require(try finance.get("/me")["id"]?.stringValue)
        let accepted = try finance.post("/supplier-bills/\(id)/post", #"{"accept_variance":true}"#)
        #expect(accepted.status == 200, "\(accepted)")
        #expect(accepted["status"] == "posted")
        #expect(accepted["variance_accepted_by"] == .string(financeID))
        // A bill at the order's price posts without it.
        let matching = try #require(try payables.billOrder(order, quantity: 5)["id"]?.stringValue)
        let posted = try admin.post("/supplier-bills/\(matching)/post")
        #expect(posted.status == 200, "\(posted)")
        #expect(posted["variance_accepted_by"] == .null)
        try payables.expectBooksBalance()
    }

    @Test func theTolerance_letsSmallDifferencesThrough() throws {
        let tolerant = try TestApp { $0.billPriceTolerancePercent = ExactDecimal(integer: 5) }
        let fixture = PayablesFixture(tolerant)
        let supplier = try fixture.supplier()
        let order = try fixture.receivedOrder(supplier: supplier, quantity: 10, unitCost: 1000)
        // 5 % exactly is within; 5.1 % above or below is not.
        #expect(try fixture.billOrder(order, quantity: 1, unitCost: 1050)["price_variance"] == .bool(false))
        #expect(try fixture.billOrder(order, quantity: 1, unitCost: 950)["price_variance"] == .bool(false))
        #expect(try fixture.billOrder(order, quantity: 1, unitCost: 1051)["price_variance"] == .bool(true))
        #expect(try fixture.billOrder(order, quantity: 1, unitCost: 949)["price_variance"] == .bool(true))
        // Without a tolerance (the default), one minor unit is a variance.
        let strict = try payables.receivedOrder(supplier: try payables.supplier(), quantity: 2, unitCost: 1000)
        #expect(try payables.billOrder(strict, quantity: 1, unitCost: 999)["price_variance"] == .bool(true))
        try fixture.expectBooksBalance()
        tolerant.stop()
    }

    @Test func theSameSupplierReferenceTwice_is409_untilTheFirstIsVoid() throws {
        let supplier = try payables.supplier()
        let other = try payables.supplier()
        let body = { (supplier: String, reference: String) in
            #"{"supplier_id":"\#(supplier)","supplier_reference":"\#(reference)","lines":[{"description":"Rent","quantity":1,"unit_cost":500}]}"#
        }
        let first = try admin.post("/supplier-bills", body(supplier, "INV-77"))
        #expect(first.status == 201, "\(first)")
        let again = try admin.post("/supplier-bills", body(supplier, " inv-77 "))
        #expect(again.status == 409, "\(again)")
        #expect(again.code == "duplicate_bill")
        #expect(again["bill"]?["number"] == first["number"])
        // From a purchase order too.
        let order = try payables.receivedOrder(supplier: supplier)
        #expect(try payables.billOrder(order, quantity: 1, reference: "INV-77").code == "duplicate_bill")
        // Another supplier's invoice may carry the same number.
        #expect(try admin.post("/supplier-bills", body(other, "INV-77")).status == 201)
        // A void bill frees its reference.
        #expect(try admin.post("/supplier-bills/\(first["id"]!.stringValue!)/void").status == 200)
        #expect(try admin.post("/supplier-bills", body(supplier, "INV-77")).status == 201)
        try payables.expectBooksBalance()
    }

    @Test func billsWithoutAnOrder_dueDates_andPostedBillsNeverChange() throws {
        let supplier = try payables.supplier(#","payment_terms_days":45"#)
        let draft = try admin.post(
            "/supplier-bills",
            #"{"supplier_id":"\#(supplier)","supplier_reference":"R-1","bill_date":"2026-01-10","lines":[{"description":"Cleaning","quantity":2,"unit_cost":1500,"tax_rate":20}]}"#
        )
        #expect(draft.status == 201, "\(draft)")
        #expect(draft["due_date"] == "2026-02-24")
        #expect(draft["subtotal"] == .number("3000"))
        #expect(draft["tax_total"] == .number("600"))
        #expect(draft["total"] == .number("3600"))
        #expect(draft["currency"] == "USD")
        #expect(draft["purchase_order_id"] == .null)
        let id = try #require(draft["id"]?.stringValue)
        // A new bill date moves the due date along the terms; an explicit one stays.
        let moved = try admin.patch("/supplier-bills/\(id)", #"{"bill_date":"2026-01-20"}"#)
        #expect(moved.status == 200, "\(moved)")
        #expect(moved["due_date"] == "2026-03-06")
        let explicit = try admin.patch("/supplier-bills/\(id)", #"{"due_date":"2026-01-31"}"#)
        #expect(explicit["due_date"] == "2026-01-31")
        #expect(try admin.patch("/supplier-bills/\(id)", #"{"due_date":"2026-01-01"}"#).status == 422)
        #expect(
            try admin.post(
                "/supplier-bills",
                #"{"supplier_id":"\#(supplier)","supplier_reference":"R-2","currency":"EUR","lines":[]}"#
            ).status == 422)
        #expect(
            try admin.post(
                "/supplier-bills", #"{"supplier_id":"\#(UUID().uuidString)","supplier_reference":"R-3"}"#
            ).status == 422)
        #expect(
            try admin.post("/supplier-bills", #"{"supplier_id":"\#(supplier)","supplier_reference":"R-4","total":5}"#)
                .code == "read_only_field")

        let posted = try admin.post("/supplier-bills/\(id)/post")
        #expect(posted.status == 200, "\(posted)")
        #expect(posted["posted_at"] != .null)
        let edit = try admin.patch("/supplier-bills/\(id)", #"{"notes":"late"}"#)
        #expect(edit.status == 409)
        #expect(edit.code == "invalid_transition")
        #expect(try admin.post("/supplier-bills/\(id)/post").code == "invalid_transition")
        // Paid in part: no longer voided.
        #expect(try payables.pay(supplier, amount: 100).status == 201)
        #expect(try admin.post("/supplier-bills/\(id)/void").code == "invalid_transition")
        // A bill from an order keeps the order's lines.
        let order = try payables.receivedOrder(supplier: supplier)
        let fromOrder = try #require(try payables.billOrder(order, quantity: 2)["id"]?.stringValue)
        let lines = try admin.patch(
            "/supplier-bills/\(fromOrder)", #"{"lines":[{"description":"x","quantity":1,"unit_cost":1}]}"#)
        #expect(lines.status == 422)
        #expect(lines.text.contains(#""field":"lines""#))
        // An empty draft cannot be posted.
        let empty = try #require(
            try admin.post("/supplier-bills", #"{"supplier_id":"\#(supplier)","supplier_reference":"R-5"}"#)["id"]?
                .stringValue)
        #expect(try admin.post("/supplier-bills/\(empty)/post").status == 422)
        try payables.expectBooksBalance()
    }
}
