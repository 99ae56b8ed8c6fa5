import Core
import Foundation
import Routing
import TestSupport
import Testing

/// The management reports count only what the caller may see (API.md "Permissions"), and
/// their cost figures need `costs.read`: a sales user a (own scope) owns customer X, a sales
/// user c of another team owns nothing, finance sees everything. X and the unowned Y each buy
/// and receive goods received at 500.
@Suite struct ReportScopeTests {
    let app: TestApp
    let fixture: TradeFixture
    var admin: APIClient { fixture.admin }

    init() throws {
        app = try TestApp()
        fixture = try TradeFixture(app)
    }

    @Test func aSalesUserSeesOnlyItsScopeAndNoCosts_financeSeesEverything() throws {
        let a = try app.scopedUser(team: try app.team("T1"), scope: "own")
        let c = try app.scopedUser(team: try app.team("T2"), scope: "own")
        let finance = app.client(key: try app.key(forRole: "finance"))
        let item = try fixture.item()
        try fixture.receive(item, quantity: 20, unitCost: 500)
        let created = try a.client.post("/customers", #"{"name":"X \#(UUID().uuidString.prefix(6))"}"#)
        let x = try #require(created["id"]?.stringValue, "\(created)")
        let y = try fixture.customer()
        for (customer, quantity) in [(x, 2), (y, 3)] {
            let order = try fixture.confirmedOrder(
                customer: customer, lines: #"{"item_id":"\#(item)","quantity":\#(quantity),"unit_price":1000}"#)
            _ = try fixture.ship(order, lines: #"{"line_no":1,"quantity":\#(quantity)}"#)
        }
        let lead = try a.client.post("/leads", #"{"name":"Lead of a"}"#)
        #expect(lead.status == 201, "\(lead)")

        // The margin report is a cost report: 403 naming costs.read.
        for client in [a.client, c.client] {
            let refused = try client.get("/reports/margin")
            #expect(refused.status == 403, "\(refused)")
            #expect(refused["permission"] == "costs.read")
        }
        let margin = try finance.get("/reports/margin?group_by=customer")
        #expect(margin.status == 200, "\(margin)")
        #expect(margin["totals"]?[0]?["revenue"] == .number("5000"))
        #expect(margin["totals"]?[0]?["cost"] == .number("2500"))

        // KPIs: a counts X only and sees no cost figure; c counts nothing; finance everything.
        let costFigures = ["cost_of_goods", "gross_margin", "margin_percent", "stock_value", "stock_turnover"]
        let mine = try a.client.get("/reports/kpis")
        #expect(mine.status == 200, "\(mine)")
        #expect(mine["orders"] == .number("1"))
        #expect(mine["order_value"] == .number("2000"))
        #expect(mine["revenue"] == .number("2000"))
        #expect(mine["lead_conversion"]?[0]?["leads"] == .number("1"), "\(mine)")
        for name in costFigures + ["days_on_hand"] { #expect(mine[name] == .null, "\(name)") }
        let none = try c.client.get("/reports/kpis")
        #expect(none["orders"] == .number("0"))
        #expect(none["revenue"] == .number("0"))
        #expect(none["lead_conversion"]?.arrayValue?.isEmpty == true, "\(none)")
        let all = try finance.get("/reports/kpis")
        #expect(all["orders"] == .number("2"))
        #expect(all["revenue"] == .number("5000"))
        #expect(all["cost_of_goods"] == .number("2500"))
        #expect(all["gross_margin"] == .number("2500"))
        for name in costFigures { #expect(all[name] != .null, "\(name)") }

        // RFM: ranked over what each caller sees.
        func customers(_ client: APIClient) throws -> [String] {
            let reply = try client.get("/reports/customer-rfm")
            #expect(reply.status == 200, "\(reply)")
            return reply["data"]?.arrayValue?.compactMap { $0["customer_id"]?.stringValue } ?? []
        }
        #expect(try customers(a.client) == [x])
        #expect(try customers(c.client).isEmpty)
        #expect(Set(try customers(finance)) == [x, y])
        #expect(Set(try customers(admin)) == [x, y])

        // The customer summary: a sees X's rfm but not its margin, finance both; c not X at all.
        let summary = try a.client.get("/customers/\(x)/summary")
        #expect(summary.status == 200, "\(summary)")
        #expect(summary["rfm"]?["frequency"] == .number("1"))
        #expect(summary["lifetime_margin"] == .null)
        let full = try finance.get("/customers/\(x)/summary")
        #expect(full["rfm"]?["frequency"] == .number("1"))
        #expect(full["lifetime_margin"] == .number("1000"))
        #expect(try c.client.get("/customers/\(x)/summary").status == 404)
    }
}
