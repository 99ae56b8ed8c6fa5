import Core
import FoundationEssentials
import Routing

extension DemoSeed {
    /// Customers with contacts, leads in every status, opportunities in every stage, activities,
    /// sales orders in every status, invoices (one overdue), payments and a credit note — all
    /// made through the API in-process, dated relative to today. Skipped when the demo customer
    /// `demo-northwind` exists.
    func seedCommerce(api: InProcessClient) throws -> String {
        let existing = try api.get("/customers?external_ref=demo-northwind")["data"]?.arrayValue ?? []
        if !existing.isEmpty {
            return "customers, CRM, orders and receivables: already seeded (customer demo-northwind exists)"
        }
        func body(_ text: String) throws -> JSONValue { try JSONParser.parse(Array(text.utf8)) }
        let today = LocalDate.today()
        func day(_ offset: Int) -> String { today.adding(days: offset)?.description ?? today.description }

        // Customers and contacts.
        let customers: [(ref: String, json: String)] = [
            (
                "demo-northwind",
                #""name":"Northwind Traders","tier":"gold","email":"purchasing@northwind.example","tax_id":"GB123456789","credit_limit":2000000,"payment_terms_days":30,"tags":["key-account"],"billing_address":{"line1":"12 Dock Street","city":"London","postal_code":"E1 8AA","country":"GB"}"#
            ),
            (
                "demo-contoso",
                #""name":"Contoso Ltd","tier":"silver","email":"ap@contoso.example","credit_limit":500000,"payment_terms_days":14"#
            ),
            (
                "demo-fabrikam",
                #""name":"Fabrikam GmbH","tier":"platinum","currency":"EUR","email":"einkauf@fabrikam.example","payment_terms_days":45,"billing_address":{"city":"Berlin","country":"DE"}"#
            ),
            ("demo-tailspin", #""name":"Tailspin Toys","email":"orders@tailspin.example","credit_limit":400000"#),
            ("demo-ada", #""name":"Ada Byron","kind":"person","email":"ada@byron.example","phone":"+44 20 7946 0000""#),
            ("demo-litware", #""name":"Litware Inc","status":"blocked","email":"billing@litware.example""#),
        ]
        var ids: [String: String] = [:]
        for (ref, json) in customers {
            ids[ref] = try api.id(api.post("/customers", body(#"{\#(json),"external_ref":"\#(ref)"}"#)))
        }
        try api.post(
            "/customers/\(ids["demo-northwind"]!)/contacts",
            body(#"{"name":"Maria Anders","email":"maria@northwind.example","role":"Buyer","is_primary":true}"#))
        try api.post(
            "/customers/\(ids["demo-northwind"]!)/contacts", body(#"{"name":"Tom Ito","role":"Accounts payable"}"#))
        try api.post(
            "/customers/\(ids["demo-contoso"]!)/contacts",
            body(#"{"name":"Priya Raman","email":"priya@contoso.example","is_primary":true}"#))

        // Leads: one in each status, one converted with an opportunity.
        let leads: [(String, [String])] = [
            (#"{"name":"Sam Patel","company":"Patel Architects","email":"sam@patel.example","source":"web"}"#, []),
            (#"{"name":"Jo Kim","company":"Kim Logistics","source":"referral"}"#, ["contacted"]),
            (#"{"name":"Lee Wong","company":"Wong Dental","source":"event"}"#, ["contacted", "qualified"]),
            (#"{"name":"Ann Cole","source":"cold_call"}"#, ["contacted", "unqualified"]),
        ]
        for (json, moves) in leads {
            let lead = try api.id(api.post("/leads", body(json)))
            for status in moves { try api.patch("/leads/\(lead)", body(#"{"status":"\#(status)"}"#)) }
        }
        let convertible = try api.id(
            api.post(
                "/leads",
                body(#"{"name":"Rui Costa","company":"Costa Hotels","email":"rui@costa.example","source":"partner"}"#)))
        try api.post(
            "/leads/\(convertible)/convert",
            body(#"{"opportunity":{"name":"Lobby furniture","amount":450000,"expected_close_date":"\#(day(40))"}}"#))

        // Items and the main warehouse from the catalog part.
        func item(_ sku: String) throws -> String {
            guard
                let found = try api.get("/items?q=\(sku)")["data"]?.arrayValue?.first(where: {
                    $0["sku"]?.stringValue == sku
                }),
                let id = found["id"]?.stringValue
            else { throw InProcessClient.Failure(description: "demo item \(sku) is missing") }
            return id
        }
        let chair = try item("CHAIR-OAK"), desk = try item("DESK-140"), lamp = try item("LAMP-LED"),
            install = try item("SVC-INSTALL")
        guard
            let main = try api.get("/warehouses?limit=200")["data"]?.arrayValue?.first(where: {
                $0["code"]?.stringValue == "MAIN"
            })?["id"]?.stringValue
        else {
            throw InProcessClient.Failure(description: "demo warehouse MAIN is missing")
        }

        // Opportunities across the pipeline; one won into an order, one lost.
        let northwind = ids["demo-northwind"]!, contoso = ids["demo-contoso"]!, tailspin = ids["demo-tailspin"]!
        for (stage, amount, close) in [
            ("prospecting", 120000, 60), ("qualification", 80000, 45), ("proposal", 250000, 20),
            ("negotiation", 600000, 10),
        ] {
            try api.post(
                "/opportunities",
                body(
                    #"{"customer_id":"\#(contoso)","name":"\#(stage.capitalized) deal","stage":"\#(stage)","amount":\#(amount),"expected_close_date":"\#(day(close))"}"#
                ))
        }
        let refit = try api.id(
            api.post(
                "/opportunities",
                body(
                    #"{"customer_id":"\#(northwind)","name":"Office refit","stage":"negotiation","lines":[{"item_id":"\#(chair)","quantity":10},{"item_id":"\#(install)","quantity":6}]}"#
                )))
        let won = try api.post("/opportunities/\(refit)/win", body(#"{"create_order":true}"#))
        let lost = try api.id(
            api.post("/opportunities", body(#"{"customer_id":"\#(tailspin)","name":"Play corner","amount":90000}"#)))
        try api.post("/opportunities/\(lost)/lose", body(#"{"reason":"Chose a cheaper supplier"}"#))

        // Activities: upcoming, overdue, done.
        try api.post(
            "/activities",
            body(
                #"{"type":"call","subject":"Follow up on the refit","customer_id":"\#(northwind)","due_at":"\#(day(2))T10:00:00Z"}"#
            ))
        try api.post(
            "/activities",
            body(
                #"{"type":"task","subject":"Send the revised proposal","opportunity_id":"\#(refit)","due_at":"\#(day(-3))T09:00:00Z"}"#
            ))
        let met = try api.id(
            api.post(
                "/activities",
                body(
                    #"{"type":"meeting","subject":"Showroom visit","customer_id":"\#(contoso)","due_at":"\#(day(-7))T14:00:00Z"}"#
                )))
        try api.post("/activities/\(met)/complete")

        // Sales orders in every status.
        func order(_ customer: String, _ lines: String) throws -> String {
            try api.id(
                api.post(
                    "/sales-orders",
                    body(#"{"customer_id":"\#(customer)","warehouse_id":"\#(main)","lines":[\#(lines)]}"#)))
        }
        if let fromWin = won["sales_order_id"]?.stringValue {
            // The draft from the won deal.
            try api.patch("/sales-orders/\(fromWin)", body(#"{"warehouse_id":"\#(main)"}"#))
        }
        let confirmed = try order(contoso, #"{"item_id":"\#(lamp)","quantity":20,"tax_rate":20}"#)
        try api.post("/sales-orders/\(confirmed)/confirm")
        let partial = try order(
            northwind,
            #"{"item_id":"\#(chair)","quantity":8,"tax_rate":20},{"item_id":"\#(desk)","quantity":2,"tax_rate":20}"#)
        try api.post("/sales-orders/\(partial)/confirm")
        try api.post("/sales-orders/\(partial)/shipments", body(#"{"lines":[{"line_no":1,"quantity":5}]}"#))
        try api.post("/sales-orders/\(partial)/invoice")
        let shipped = try order(tailspin, #"{"item_id":"\#(lamp)","quantity":10,"discount_percent":5,"tax_rate":20}"#)
        try api.post("/sales-orders/\(shipped)/confirm")
        try api.post("/sales-orders/\(shipped)/shipments", body(#"{"lines":[{"line_no":1,"quantity":10}]}"#))
        let shippedInvoice = try api.post("/sales-orders/\(shipped)/invoice")
        let cancelled = try order(contoso, #"{"item_id":"\#(desk)","quantity":1}"#)
        try api.post("/sales-orders/\(cancelled)/confirm")
        try api.post("/sales-orders/\(cancelled)/cancel")
        let closed = try order(tailspin, #"{"item_id":"\#(chair)","quantity":4}"#)
        try api.post("/sales-orders/\(closed)/confirm")
        try api.post("/sales-orders/\(closed)/shipments", body(#"{"lines":[{"line_no":1,"quantity":3}]}"#))
        try api.post("/sales-orders/\(closed)/close")
        _ = try order(northwind, #"{"item_id":"\#(desk)","quantity":3}"#)

        // Receivables: an overdue manual invoice, payments (one leaving credit), a credit note.
        let old = try api.id(
            api.post(
                "/invoices",
                body(
                    #"{"customer_id":"\#(contoso)","lines":[{"description":"Design consultancy","quantity":12,"unit_price":9500,"tax_rate":20}]}"#
                )))
        try api.post("/invoices/\(old)/issue", body(#"{"issue_date":"\#(day(-75))"}"#))
        try api.post(
            "/payments",
            body(
                #"{"customer_id":"\#(contoso)","amount":50000,"method":"bank_transfer","reference":"Remittance 4471","received_on":"\#(day(-20))"}"#
            ))
        if let paid = shippedInvoice["id"]?.stringValue, let total = shippedInvoice["total"]?.int64Value {
            try api.post(
                "/credit-notes", body(#"{"invoice_id":"\#(paid)","amount":1000,"reason":"One lamp arrived scratched"}"#)
            )
            try api.post(
                "/payments",
                body(
                    #"{"customer_id":"\#(tailspin)","amount":\#(total - 1000 + 2500),"method":"card","reference":"Card 4242"}"#
                ))
        }
        return
            "customers, CRM, orders and receivables: \(customers.count) customers, 5 leads, 7 opportunities, 3 activities, 7 sales orders, 3 invoices, 2 payments, 1 credit note"
    }
}
