import Core
import FoundationEssentials
import Routing

extension DemoSeed {
    /// Supplier bills and payments on the demo purchase orders: the received chairs billed 60
    /// days ago at the order's price, posted and paid in part (now overdue); the lamps received so
    /// far billed above the order's price, posted with the variance accepted; a freight bill
    /// without an order, paid in full; and an advance to the cable supplier. Made through the API
    /// in-process; skipped when the bill `NT-2026-0142` exists.
    func seedPayables(api: InProcessClient) throws -> String {
        let existing = try api.get("/supplier-bills?q=NT-2026-0142")["data"]?.arrayValue ?? []
        if !existing.isEmpty { return "payables: already seeded (bill NT-2026-0142 exists)" }
        func body(_ text: String) throws -> JSONValue { try JSONParser.parse(Array(text.utf8)) }
        func one(_ path: String) throws -> String {
            guard let id = try api.get(path)["data"]?.arrayValue?.first?["id"]?.stringValue else {
                throw InProcessClient.Failure(description: "demo record \(path) is missing")
            }
            return id
        }
        let timber = try one("/suppliers?external_ref=demo-sup-1"),
            cables = try one("/suppliers?external_ref=demo-sup-3")
        let light = try one("/suppliers?external_ref=demo-sup-2")
        let chairs = try one("/purchase-orders?external_ref=demo-po-1")
        let lamps = try one("/purchase-orders?external_ref=demo-po-2")
        let today = LocalDate.today()
        let sixtyDaysAgo = today.adding(days: -60) ?? today, tenDaysAgo = today.adding(days: -10) ?? today

        let overdue = try api.id(
            api.post(
                "/purchase-orders/\(chairs)/bill",
                body(
                    #"{"supplier_reference":"NT-2026-0142","bill_date":"\#(sixtyDaysAgo)","lines":[{"line_no":1,"quantity":20}]}"#
                )))
        try api.post("/supplier-bills/\(overdue)/post")
        try api.post(
            "/supplier-payments",
            body(
                #"{"supplier_id":"\#(timber)","amount":150000,"paid_on":"\#(tenDaysAgo)","reference":"Transfer 0815","allocations":[{"bill_id":"\#(overdue)","amount":150000}]}"#
            ))
        let variance = try api.id(
            api.post(
                "/purchase-orders/\(lamps)/bill",
                body(
                    #"{"supplier_reference":"BL-99031","bill_date":"\#(tenDaysAgo)","lines":[{"line_no":1,"quantity":40,"unit_cost":1750}]}"#
                )))
        try api.post("/supplier-bills/\(variance)/post", body(#"{"accept_variance":true}"#))
        let freight = try api.id(
            api.post(
                "/supplier-bills",
                body(
                    #"{"supplier_id":"\#(light)","supplier_reference":"BL-FR-12","bill_date":"\#(tenDaysAgo)","lines":[{"description":"Freight, lamp delivery","quantity":1,"unit_cost":4500,"tax_rate":21}]}"#
                )))
        try api.post("/supplier-bills/\(freight)/post")
        try api.post(
            "/supplier-payments",
            body(
                #"{"supplier_id":"\#(light)","amount":5445,"method":"card","allocations":[{"bill_id":"\#(freight)","amount":5445}]}"#
            ))
        try api.post(
            "/supplier-payments", body(#"{"supplier_id":"\#(cables)","amount":20000,"reference":"Prepayment"}"#))
        return
            "payables: 3 supplier bills (one overdue, one with a price variance), 3 supplier payments (one an advance)"
    }
}
