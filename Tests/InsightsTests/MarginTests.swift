import Core
import Foundation
import Routing
import TestSupport
import Testing

/// Cost of goods at shipment and `GET /reports/margin`, over HTTP against PostgreSQL.
@Suite struct MarginTests {
    let app: TestApp
    let fixture: TradeFixture
    var admin: APIClient { fixture.admin }

    init() throws {
        app = try TestApp()
        fixture = try TradeFixture(app)
    }

    @Test func shipment_costsTheMovingAverage_andLaterReceiptsLeaveItAlone() throws {
        let item = try fixture.item()
        try fixture.receive(item, quantity: 10, unitCost: 500)
        try fixture.receive(item, quantity: 10, unitCost: 700)
        let customer = try fixture.customer()
        let first = try fixture.confirmedOrder(
            customer: customer, lines: #"{"item_id":"\#(item)","quantity":5,"unit_price":1000}"#)
        let shipment = try fixture.ship(first, lines: #"{"line_no":1,"quantity":5}"#)
        #expect(shipment["lines"]?[0]?["unit_cost"] == .number("600"))
        #expect(shipment["lines"]?[0]?["cost"] == .number("3000"))
        #expect(try fixture.sql("SELECT unit_cost FROM stock_movements WHERE kind = 'shipment'") == "600")

        func orderLine(_ id: String) throws -> JSONValue? { try admin.get("/sales-orders/\(id)")["lines"]?[0] }
        #expect(try orderLine(first)?["cost"] == .number("3000"))
        #expect(try orderLine(first)?["margin"] == .number("2000"))
        let report = try admin.get("/reports/margin?group_by=item")
        #expect(report.status == 200, "\(report)")
        #expect(report["data"]?[0]?["item_id"]?.stringValue == item)
        #expect(report["data"]?[0]?["revenue"] == .number("5000"))
        #expect(report["data"]?[0]?["cost"] == .number("3000"))
        #expect(report["data"]?[0]?["gross_margin"] == .number("2000"))
        #expect(report["data"]?[0]?["margin_percent"] == .number("40"))
        #expect(report["totals"]?[0]?["margin_percent"] == .number("40"))

        // 15 left at 600 plus 10 at 900: the average becomes 720; what shipped stays at 600.
        try fixture.receive(item, quantity: 10, unitCost: 900)
        #expect(try admin.get("/items/\(item)")["average_cost"] == .number("720"))
        #expect(try orderLine(first)?["cost"] == .number("3000"))
        let second = try fixture.confirmedOrder(
            customer: customer, lines: #"{"item_id":"\#(item)","quantity":5,"unit_price":1000}"#)
        let next = try fixture.ship(second, lines: #"{"line_no":1,"quantity":5}"#)
        #expect(next["lines"]?[0]?["unit_cost"] == .number("720"))
        #expect(next["lines"]?[0]?["cost"] == .number("3600"))
        let shipments = try admin.get("/sales-orders/\(first)/shipments")
        #expect(shipments["data"]?[0]?["lines"]?[0]?["unit_cost"] == .number("600"))
        let totals = try admin.get("/reports/margin?group_by=month")["totals"]?[0]
        #expect(totals?["revenue"] == .number("10000"))
        #expect(totals?["cost"] == .number("6600"))
        #expect(totals?["gross_margin"] == .number("3400"))
        #expect(totals?["margin_percent"] == .number("34"))
        #expect(
            try fixture.sql(
                "SELECT string_agg(unit_cost::text, ',' ORDER BY created_at) FROM stock_movements WHERE kind = 'shipment'"
            )
                == "600,720")

        // The invoice bills what shipped at the cost it shipped at.
        let invoice = try admin.post("/sales-orders/\(first)/invoice")
        #expect(invoice.status == 201, "\(invoice)")
        #expect(invoice["lines"]?[0]?["cost"] == .number("3000"))
        #expect(invoice["lines"]?[0]?["margin"] == .number("2000"))
    }

    @Test func orderLine_hasNoCostUntilItShips_andPartialShipmentsAddUp() throws {
        let item = try fixture.item()
        try fixture.receive(item, quantity: 3, unitCost: 333)
        let order = try fixture.confirmedOrder(
            customer: try fixture.customer(), lines: #"{"item_id":"\#(item)","quantity":3,"unit_price":500}"#)
        #expect(try admin.get("/sales-orders/\(order)")["lines"]?[0]?["cost"] == .null)
        #expect(try admin.get("/sales-orders/\(order)")["lines"]?[0]?["margin"] == .null)
        // 0.5 × 333 = 166.5 → 166 (half-even); 2.5 × 333 = 832.5 → 832.
        #expect(
            try fixture.ship(order, lines: #"{"line_no":1,"quantity":0.5}"#)["lines"]?[0]?["cost"] == .number("166"))
        #expect(
            try fixture.ship(order, lines: #"{"line_no":1,"quantity":2.5}"#)["lines"]?[0]?["cost"] == .number("832"))
        let line = try admin.get("/sales-orders/\(order)")["lines"]?[0]
        #expect(line?["cost"] == .number("998"))
        // Revenue 250 + 1250 = 1500.
        #expect(line?["margin"] == .number("502"))
    }

    @Test func serviceItems_costTheirStandardCost_orNothing() throws {
        let costed = try fixture.item(type: "service", extra: #","standard_cost":250"#)
        let free = try fixture.item(type: "service")
        #expect(try admin.get("/items/\(costed)")["standard_cost"] == .number("250"))
        #expect(try admin.get("/items/\(free)")["standard_cost"] == .null)
        #expect(
            try admin.patch("/items/\(free)", #"{"standard_cost":-1}"#).code == "validation_failed")
        let order = try fixture.confirmedOrder(
            customer: try fixture.customer(),
            lines: """
                {"item_id":"\(costed)","quantity":2,"unit_price":1000},
                {"item_id":"\(free)","quantity":1,"unit_price":800},
                {"description":"Delivery","quantity":1,"unit_price":100}
                """)
        let shipment = try fixture.ship(
            order, lines: #"{"line_no":1,"quantity":2},{"line_no":2,"quantity":1},{"line_no":3,"quantity":1}"#)
        #expect(shipment["lines"]?[0]?["unit_cost"] == .number("250"))
        #expect(shipment["lines"]?[0]?["cost"] == .number("500"))
        #expect(shipment["lines"]?[1]?["cost"] == .number("0"))
        #expect(shipment["lines"]?[2]?["cost"] == .number("0"))
        let lines = try admin.get("/sales-orders/\(order)")["lines"]
        #expect(lines?[0]?["margin"] == .number("1500"))
        #expect(lines?[1]?["margin"] == .number("800"))
    }

    /// Orders, partial shipments and receipts at random costs, in random order: every grouping's
    /// total cost is the ledger's Σ −quantity × unit cost of the shipment movements.
    @Test func marginTotals_equalTheShipmentMovementsAtTheirUnitCost() throws {
        var generator = SystemRandomNumberGenerator()
        let items = try (0..<3).map { _ in try fixture.item() }
        for item in items { try fixture.receive(item, quantity: 40, unitCost: Int.random(in: 100...900)) }
        let customers = try (0..<3).map { _ in try fixture.customer() }
        var open: [(order: String, left: [Int])] = []
        // The first step is always an order, so every run has shipments to total.
        for step in 0..<12 {
            switch step == 0 ? 1 : Int.random(in: 0..<3, using: &generator) {
            case 0:
                try fixture.receive(
                    items.randomElement()!, quantity: Int.random(in: 1...10), unitCost: Int.random(in: 50...1500))
            case 1:
                let lines = items.map {
                    #"{"item_id":"\#($0)","quantity":3,"unit_price":\#(Int.random(in: 500...2000))}"#
                }
                let order = try fixture.confirmedOrder(
                    customer: customers.randomElement()!, lines: lines.joined(separator: ","))
                open.append((order, [3, 3, 3]))
            default:
                guard let index = open.indices.randomElement() else { continue }
                var lines: [String] = []
                for (number, left) in open[index].left.enumerated() where left > 0 {
                    let quantity = Int.random(in: 1...left)
                    open[index].left[number] -= quantity
                    lines.append(#"{"line_no":\#(number + 1),"quantity":\#(quantity)}"#)
                }
                if !lines.isEmpty { _ = try fixture.ship(open[index].order, lines: lines.joined(separator: ",")) }
            }
        }
        for (order, left) in open where left.contains(where: { $0 > 0 }) {
            let lines = left.enumerated().filter { $0.element > 0 }.map {
                #"{"line_no":\#($0.offset + 1),"quantity":\#($0.element)}"#
            }
            _ = try fixture.ship(order, lines: lines.joined(separator: ","))
        }
        // Whole quantities, so each movement's quantity × unit cost is already whole.
        let ledger = try fixture.sql(
            "SELECT coalesce(sum(-quantity * unit_cost), 0)::bigint FROM stock_movements WHERE kind = 'shipment'")
        #expect(
            try fixture.sql("SELECT count(*) FROM stock_movements WHERE kind = 'shipment' AND unit_cost IS NULL") == "0"
        )
        for grouping in ["month", "customer", "item", "owner"] {
            let report = try admin.get("/reports/margin?group_by=\(grouping)")
            #expect(report.status == 200, "\(report)")
            #expect(report["totals"]?[0]?["cost"]?.numberText == ledger, "group_by=\(grouping)")
            let groups = report["data"]?.arrayValue ?? []
            let sum = groups.compactMap { Int($0["cost"]?.numberText ?? "") }.reduce(0, +)
            #expect(String(sum) == ledger, "group_by=\(grouping)")
        }
    }

    @Test func marginReport_refusesBadParameters_andRolesWithoutCosts() throws {
        for (query, parameter) in [
            ("group_by=week", "group_by"), ("from=2026-02-01&to=2026-01-01", "from"), ("from=2026-13-01", "from"),
        ] {
            let reply = try admin.get("/reports/margin?\(query)")
            #expect(reply.status == 400, "\(query): \(reply)")
            #expect(reply.code == "invalid_parameter")
            #expect(reply["errors"]?[0]?["field"]?.stringValue == parameter, "\(query)")
        }
        #expect(try admin.get("/reports/margin?sort=x").code == "unknown_parameter")
        let sales = app.client(key: try app.key(forRole: "sales"))
        let refused = try sales.get("/reports/margin")
        #expect(refused.status == 403)
        #expect(refused["permission"] == "costs.read")
        for role in ["finance", "warehouse"] {
            #expect(try app.client(key: try app.key(forRole: role)).get("/reports/margin").status == 200, "\(role)")
        }
    }

    @Test func marginReport_groupsByPeriodInclusive_andLeavesOtherPeriodsOut() throws {
        let item = try fixture.item()
        try fixture.receive(item, quantity: 4, unitCost: 100)
        let order = try fixture.confirmedOrder(
            customer: try fixture.customer(), lines: #"{"item_id":"\#(item)","quantity":4,"unit_price":300}"#)
        _ = try fixture.ship(order, lines: #"{"line_no":1,"quantity":4}"#)
        let today = LocalDate.today()
        let inclusive = try admin.get("/reports/margin?from=\(today)&to=\(today)")
        #expect(inclusive["data"]?[0]?["month"]?.stringValue == String(today.description.prefix(7)))
        #expect(inclusive["data"]?[0]?["revenue"] == .number("1200"))
        #expect(inclusive["data"]?[0]?["quantity"] == .number("4"))
        let yesterday = today.adding(days: -1)!
        let before = try admin.get("/reports/margin?from=\(yesterday)&to=\(yesterday)")
        #expect(before["data"]?.arrayValue?.isEmpty == true)
        #expect(before["totals"]?.arrayValue?.isEmpty == true)
    }
}

extension JSONValue {
    /// The text of a JSON number, for comparing with SQL output.
    var numberText: String? {
        if case .number(let text) = self { return text }
        return nil
    }
}
