import Core
import Foundation
import Routing
import TestSupport
import Testing

/// Opportunities: stages, probabilities, closing and reopening, the pipeline report.
@Suite struct OpportunityTests {
    let app: TestApp
    let admin: APIClient
    let customer: String

    init() throws {
        app = try TestApp()
        admin = app.client()
        let reply = try admin.post("/customers", #"{"name":"Pipeline Customer","currency":"USD"}"#)
        guard let id = reply["id"]?.stringValue else { throw TestFailure("\(reply)") }
        customer = id
    }

    func opportunity(_ extra: String = "", customer: String? = nil) throws -> JSONValue {
        let reply = try admin.post(
            "/opportunities", #"{"customer_id":"\#(customer ?? self.customer)","name":"Deal"\#(extra)}"#)
        guard reply.status == 201 else { throw TestFailure("opportunity: \(reply)") }
        return reply.json
    }

    @Test func create_defaults_fromStageAndCustomer_andPricesLinesHalfEven() throws {
        let me = try admin.get("/me")["id"]
        let created = try opportunity(
            #","lines":[{"description":"Widgets","quantity":2.5,"unit_price":1999},{"description":"Setup","quantity":1,"unit_price":1}]"#
        )
        #expect(created["number"]?.stringValue?.hasPrefix("OPP-") == true)
        #expect(created["stage"] == "prospecting")
        #expect(created["probability"] == .number("10"))
        #expect(created["currency"] == "USD")
        // 2.5 × 19.99 = 49.975 → 4998 (half-even on 4997.5), plus 1.
        #expect(created["amount"] == .number("4999"))
        #expect(created["lines"]?[0]?["line_no"] == .number("1"))
        #expect(created["lines"]?[0]?["quantity"] == .number("2.5"))
        #expect(created["owner_id"] == me)
        let history = created["stage_history"]?.arrayValue ?? []
        #expect(history.count == 1)
        #expect(history.first?["stage"] == "prospecting")
        #expect(history.first?["entered_by"] == me)
        #expect(created["sales_order_id"] == .null)
        #expect(created["closed_at"] == .null)
    }

    @Test func invalidInput_is422_naming_theField() throws {
        let unknown = try admin.post("/opportunities", #"{"customer_id":"\#(UUID().uuidString)","name":"x"}"#)
        #expect(unknown.status == 422)
        #expect(unknown.text.contains("customer_id"))
        let reply = try admin.post(
            "/opportunities",
            #"{"customer_id":"\#(customer)","name":"x","probability":101,"amount":-5,"lines":[{"quantity":0}]}"#)
        #expect(reply.status == 422)
        for field in ["probability", "amount", "lines[0].quantity", "lines[0]"] {
            #expect(reply.text.contains(#""field":"\#(field)""#), "\(field): \(reply.text)")
        }
        #expect(
            try admin.post(
                "/opportunities",
                #"{"customer_id":"\#(customer)","name":"x","lines":[{"description":"a","quantity":1.2345}]}"#
            ).status == 422)
        #expect(
            try admin.post("/opportunities", #"{"customer_id":"\#(customer)","name":"x","stage":"won"}"#).status == 422)
    }

    @Test func probability_followsTheStage_unlessSetExplicitly() throws {
        let id = try opportunity()["id"]!.stringValue!
        var reply = try admin.patch("/opportunities/\(id)", #"{"stage":"qualification"}"#)
        #expect(reply["probability"] == .number("25"))
        reply = try admin.patch("/opportunities/\(id)", #"{"probability":40}"#)
        #expect(reply["probability"] == .number("40"))
        reply = try admin.patch("/opportunities/\(id)", #"{"stage":"negotiation"}"#)
        #expect(reply["probability"] == .number("40"), "an explicit probability survives stage moves")
        reply = try admin.patch("/opportunities/\(id)", #"{"name":"Renamed"}"#)
        #expect(reply["probability"] == .number("40"))
        reply = try admin.patch("/opportunities/\(id)", #"{"probability":null}"#)
        #expect(reply["probability"] == .number("75"), "null goes back to the stage default")
        let stages = reply["stage_history"]?.arrayValue?.compactMap { $0["stage"]?.stringValue }
        #expect(stages == ["prospecting", "qualification", "negotiation"])
        // A patch that changes nothing keeps the version.
        let version = reply.header("ETag")
        #expect(try admin.patch("/opportunities/\(id)", #"{"name":"Renamed"}"#).header("ETag") == version)
    }

    @Test func win_lose_reopen_followTheStateMachine() throws {
        let id = try opportunity(#","stage":"proposal","probability":60"#)["id"]!.stringValue!
        #expect(try admin.patch("/opportunities/\(id)", #"{"stage":"won"}"#).code == "invalid_transition")
        let won = try admin.post("/opportunities/\(id)/win")
        #expect(won.status == 200, "\(won)")
        #expect(won["stage"] == "won")
        #expect(won["probability"] == .number("100"))
        #expect(won["closed_at"]?.stringValue?.hasSuffix("Z") == true)
        let again = try admin.post("/opportunities/\(id)/win")
        #expect(again.status == 409)
        #expect(again["from_state"] == "won")
        #expect(try admin.patch("/opportunities/\(id)", #"{"name":"x"}"#).code == "invalid_transition")
        let reopened = try admin.post("/opportunities/\(id)/reopen")
        #expect(reopened["stage"] == "proposal")
        #expect(reopened["probability"] == .number("60"))
        #expect(reopened["closed_at"] == .null)
        #expect(try admin.post("/opportunities/\(id)/lose", "{}").status == 422)
        let lost = try admin.post("/opportunities/\(id)/lose", #"{"reason":"Went with a competitor"}"#)
        #expect(lost["stage"] == "lost")
        #expect(lost["probability"] == .number("0"))
        #expect(lost["lost_reason"] == "Went with a competitor")
        #expect(try admin.post("/opportunities/\(id)/reopen")["lost_reason"] == .null)
        let stages = try admin.get("/opportunities/\(id)")["stage_history"]?.arrayValue?.compactMap {
            $0["stage"]?.stringValue
        }
        #expect(stages == ["proposal", "won", "proposal", "lost", "proposal"])
        let types = try admin.get("/opportunities/\(id)/history")["data"]?.arrayValue?.compactMap {
            $0["type"]?.stringValue
        }
        #expect(
            types == [
                "opportunity.created", "opportunity.won", "opportunity.reopened", "opportunity.lost",
                "opportunity.reopened",
            ])
    }

    @Test func actions_honourIfMatch() throws {
        let id = try opportunity()["id"]!.stringValue!
        let stale = try admin.post("/opportunities/\(id)/win", "{}", headers: [("If-Match", "\"9\"")])
        #expect(stale.status == 412)
        #expect(stale["current_version"] == .number("1"))
        #expect(try admin.post("/opportunities/\(id)/win", "{}", headers: [("If-Match", "\"1\"")]).status == 200)
    }

    @Test func list_filtersByStageCustomerAndCloseDate() throws {
        let other = try admin.post("/customers", #"{"name":"Other buyer"}"#)["id"]!.stringValue!
        let early = try opportunity(#","expected_close_date":"2027-01-15""#)["id"]!.stringValue!
        let late = try opportunity(#","expected_close_date":"2027-06-15","stage":"proposal""#)["id"]!.stringValue!
        let elsewhere = try opportunity(customer: other)["id"]!.stringValue!
        func ids(_ query: String) throws -> [String] {
            let reply = try admin.get("/opportunities?\(query)")
            #expect(reply.status == 200, "\(reply)")
            return reply["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
        }
        #expect(try ids("stage=proposal") == [late])
        #expect(try ids("customer_id=\(other)") == [elsewhere])
        #expect(try ids("expected_close_before=2027-03-01") == [early])
        #expect(try ids("expected_close_after=2027-03-01") == [late])
        #expect(try ids("customer_id=\(customer)&sort=-created_at") == [late, early])
        #expect(try admin.get("/opportunities?expected_close_before=soon").status == 400)
    }

    @Test func pipeline_weighsEachOpportunityHalfEven_perStageOwnerAndMonth() throws {
        let owner = try app.userID()
        _ = try opportunity(#","amount":1000,"owner_id":"\#(owner)","expected_close_date":"2027-02-10""#)  // 10 % → 100
        // 166.5 → 166
        _ = try opportunity(#","amount":333,"probability":50,"stage":"negotiation","expected_close_date":"2027-02-20""#)
        _ = try opportunity(#","amount":335,"probability":50,"stage":"negotiation""#)  // 167.5 → 168
        let won = try opportunity(#","amount":500"#)["id"]!.stringValue!
        _ = try admin.post("/opportunities/\(won)/win")
        _ = try opportunity(#","amount":9999,"currency":"EUR""#)
        let report = try admin.get("/reports/pipeline?currency=USD")
        #expect(report.status == 200, "\(report)")
        let stages = report["by_stage"]?.arrayValue ?? []
        #expect(
            stages.compactMap { $0["stage"]?.stringValue } == [
                "prospecting", "qualification", "proposal", "negotiation", "won", "lost",
            ])
        #expect(stages[0]["amount"] == .number("1000"))
        #expect(stages[0]["weighted_amount"] == .number("100"))
        #expect(stages[3]["count"] == .number("2"))
        #expect(stages[3]["amount"] == .number("668"))
        #expect(stages[3]["weighted_amount"] == .number("334"))
        #expect(stages[4]["weighted_amount"] == .number("500"))
        let owners = report["by_owner"]?.arrayValue ?? []
        #expect(owners.first { $0["owner_id"] == .string(owner) }?["weighted_amount"] == .number("100"))
        let months = report["by_close_month"]?.arrayValue ?? []
        #expect(months.first?["month"] == "2027-02")
        #expect(months.first?["count"] == .number("2"))
        #expect(months.first?["weighted_amount"] == .number("266"))
        #expect(months.last?["month"] == .null)
        let euro = try admin.get("/reports/pipeline?currency=EUR")["by_stage"]?[0]?["amount"]
        #expect(euro == .number("9999"))
        #expect(try admin.get("/reports/pipeline?currency=EURO").status == 400)
    }

    @Test func roles_salesWrites_financeReads_warehouseSeesNothing() throws {
        let id = try opportunity()["id"]!.stringValue!
        let finance = app.client(key: try app.key(forRole: "finance"))
        #expect(try finance.get("/opportunities/\(id)").status == 200)
        #expect(try finance.post("/opportunities/\(id)/win").status == 403)
        let warehouse = app.client(key: try app.key(forRole: "warehouse"))
        #expect(try warehouse.get("/opportunities").status == 403)
        let sales = app.client(key: try app.key(forRole: "sales"))
        #expect(try sales.post("/opportunities/\(id)/win").status == 200)
    }
}
