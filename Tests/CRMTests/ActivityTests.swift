import Core
import Foundation
import Routing
import TestSupport
import Testing

/// Activities, and the CRM half of the customer summary.
@Suite struct ActivityTests {
    let app: TestApp
    let admin: APIClient
    let customer: String
    let opportunity: String

    init() throws {
        app = try TestApp()
        admin = app.client()
        customer = try #require(
            try admin.post("/customers", #"{"name":"Busy Customer","currency":"EUR","credit_limit":50000}"#)["id"]?
                .stringValue)
        opportunity = try #require(
            try admin.post(
                "/opportunities", #"{"customer_id":"\#(customer)","name":"Big deal","amount":10000,"stage":"proposal"}"#
            )["id"]?.stringValue)
    }

    func activity(_ body: String) throws -> String {
        let reply = try admin.post("/activities", body)
        guard reply.status == 201, let id = reply["id"]?.stringValue else { throw TestFailure("activity: \(reply)") }
        return id
    }

    func ids(_ query: String) throws -> [String] {
        let reply = try admin.get("/activities?\(query)")
        guard reply.status == 200 else { throw TestFailure("\(reply)") }
        return reply["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
    }

    @Test func belongsToExactlyOneRecord() throws {
        let none = try admin.post("/activities", #"{"type":"call","subject":"Nobody"}"#)
        #expect(none.status == 422)
        let two = try admin.post(
            "/activities",
            #"{"type":"call","subject":"Both","customer_id":"\#(customer)","opportunity_id":"\#(opportunity)"}"#)
        #expect(two.status == 422)
        #expect(two.text.contains(#""field":"customer_id""#) && two.text.contains(#""field":"opportunity_id""#))
        let unknown = try admin.post(
            "/activities", #"{"type":"call","subject":"Ghost","lead_id":"\#(UUID().uuidString)"}"#)
        #expect(unknown.status == 422)
        #expect(unknown.text.contains("lead_id"))
        #expect(
            try admin.post("/activities", #"{"type":"fax","subject":"Old","customer_id":"\#(customer)"}"#).status == 422
        )
        let id = try activity(#"{"type":"note","subject":"Fine","customer_id":"\#(customer)"}"#)
        // Moving it to the opportunity needs the customer link cleared in the same patch.
        #expect(try admin.patch("/activities/\(id)", #"{"opportunity_id":"\#(opportunity)"}"#).status == 422)
        let moved = try admin.patch("/activities/\(id)", #"{"opportunity_id":"\#(opportunity)","customer_id":null}"#)
        #expect(moved.status == 200)
        #expect(moved["opportunity_id"] == .string(opportunity))
    }

    @Test func anOpportunitysActivity_showsOnItsCustomer() throws {
        let direct = try activity(#"{"type":"call","subject":"Direct","customer_id":"\#(customer)"}"#)
        let viaDeal = try activity(#"{"type":"meeting","subject":"Demo","opportunity_id":"\#(opportunity)"}"#)
        let lead = try #require(try admin.post("/leads", #"{"name":"Was a lead"}"#)["id"]?.stringValue)
        let viaLead = try activity(#"{"type":"email","subject":"Intro","lead_id":"\#(lead)"}"#)
        #expect(Set(try ids("customer_id=\(customer)")) == [direct, viaDeal])
        _ = try admin.post("/leads/\(lead)/convert", #"{"customer_id":"\#(customer)"}"#)
        #expect(Set(try ids("customer_id=\(customer)")) == [direct, viaDeal, viaLead])
        #expect(try ids("opportunity_id=\(opportunity)") == [viaDeal])
    }

    @Test func overdue_meansDueInThePast_andNotCompleted() throws {
        let past = try activity(
            #"{"type":"task","subject":"Late","due_at":"2020-01-01T09:00:00Z","customer_id":"\#(customer)"}"#)
        let done = try activity(
            #"{"type":"task","subject":"Done late","due_at":"2020-01-02T09:00:00+02:00","customer_id":"\#(customer)"}"#)
        _ = try activity(
            #"{"type":"task","subject":"Later","due_at":"2099-01-01T09:00:00Z","customer_id":"\#(customer)"}"#)
        _ = try activity(#"{"type":"note","subject":"No due date","customer_id":"\#(customer)"}"#)
        let completed = try admin.post("/activities/\(done)/complete")
        #expect(completed.status == 200)
        #expect(completed["completed_at"]?.stringValue?.hasSuffix("Z") == true)
        #expect(try admin.post("/activities/\(done)/complete").code == "invalid_transition")
        #expect(try ids("overdue=true") == [past])
        #expect(try ids("completed=true") == [done])
        #expect(try ids("due_before=2021-01-01").count == 2)
        #expect(try admin.get("/activities?overdue=yes").status == 400)
    }

    @Test func summary_showsOpenPipeline_inTheCustomersCurrency_andRecentActivities() throws {
        _ = try admin.post(
            "/opportunities", #"{"customer_id":"\#(customer)","name":"Dollars","amount":777,"currency":"USD"}"#)
        let lost = try #require(
            try admin.post("/opportunities", #"{"customer_id":"\#(customer)","name":"Lost","amount":5}"#)["id"]?
                .stringValue)
        _ = try admin.post("/opportunities/\(lost)/lose", #"{"reason":"price"}"#)
        let note = try activity(#"{"type":"note","subject":"Latest","opportunity_id":"\#(opportunity)"}"#)
        let summary = try admin.get("/customers/\(customer)/summary")
        #expect(summary.status == 200, "\(summary)")
        #expect(summary["currency"] == "EUR")
        #expect(summary["opportunities"]?["open_count"] == .number("1"))
        #expect(summary["opportunities"]?["open_amount"] == .number("10000"))
        #expect(summary["opportunities"]?["weighted_amount"] == .number("5000"))
        #expect(summary["other_currency_documents"] == .number("1"))
        #expect(summary["recent_activities"]?[0]?["id"] == .string(note))
        #expect(summary["orders"]?["open_count"] == .number("0"))
        #expect(summary["receivables"]?["aging"]?["1_30"] == .number("0"))
        #expect(summary["receivables"]?["aging"]?["over_90"] == .number("0"))
        #expect(summary["credit"]?["limit"] == .number("50000"))
        #expect(summary["credit"]?["available"] == .number("50000"))
        #expect(summary["customer"]?["id"] == .string(customer))
    }

    @Test func history_showsCreateUpdateAndComplete() throws {
        let id = try activity(#"{"type":"call","subject":"Tracked","customer_id":"\#(customer)"}"#)
        _ = try admin.patch("/activities/\(id)", #"{"subject":"Tracked call"}"#)
        _ = try admin.post("/activities/\(id)/complete")
        let types = try admin.get("/activities/\(id)/history")["data"]?.arrayValue?.compactMap {
            $0["type"]?.stringValue
        }
        #expect(types == ["activity.created", "activity.updated", "activity.completed"])
        #expect(try admin.get("/activities/\(UUID().uuidString)/history").status == 404)
    }

    @Test func delete_removesIt() throws {
        let id = try activity(#"{"type":"call","subject":"Brief","customer_id":"\#(customer)"}"#)
        #expect(try admin.delete("/activities/\(id)").status == 204)
        #expect(try admin.get("/activities/\(id)").status == 404)
    }
}
