import Core
import Foundation
import Routing
import TestSupport
import Testing

/// Service cases: SLA deadlines and breaches, first response, the status machine, ratings, the
/// customer summary's figures, team assignment and the service report.
@Suite struct CaseTests {
    let app: TestApp
    let fixture: AfterSalesFixture
    var admin: APIClient { fixture.admin }

    init() throws {
        app = try TestApp()
        fixture = try AfterSalesFixture(app)
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    func newCase(_ customer: String, priority: String = "normal", reportedAgo: TimeInterval = 0, extra: String = "")
        throws -> JSONValue
    {
        let reported = Self.timestamp(Date().addingTimeInterval(-reportedAgo))
        let reply = try admin.post(
            "/cases",
            #"""
            {"customer_id":"\#(customer)","type":"complaint","priority":"\#(priority)","subject":"Kettle leaks",
             "description":"Water everywhere","reported_at":"\#(reported)"\#(extra)}
            """#)
        guard reply.status == 201 else { throw TestFailure("case: \(reply)") }
        return reply.json
    }

    func move(_ id: String, to status: String) throws -> APIClient.Reply {
        try admin.patch("/cases/\(id)", #"{"status":"\#(status)"}"#)
    }

    @Test func lateCase_isBreached_anActivitySetsItsFirstResponse_andARatingFeedsTheSummary() throws {
        let policy = try admin.send(
            "PUT", "/sla-policies/high", body: #"{"first_response_minutes":60,"resolution_minutes":480}"#)
        #expect(policy.status == 200, "\(policy)")
        #expect(policy["first_response_minutes"] == .number("60"))
        let customer = try fixture.customer()
        let serviceCase = try newCase(customer, priority: "high", reportedAgo: 2 * 3600)
        let id = try #require(serviceCase["id"]?.stringValue)
        #expect(serviceCase["number"]?.stringValue?.hasPrefix("CASE-") == true)
        #expect(serviceCase["status"] == "new")
        #expect(serviceCase["sla_breached"] == .bool(true))
        #expect(serviceCase["first_response_at"] == .null)
        let reported = try #require(serviceCase["reported_at"]?.stringValue)
        let due = try #require(serviceCase["first_response_due_at"]?.stringValue)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        #expect(formatter.date(from: due)!.timeIntervalSince(formatter.date(from: reported)!) == 3600)
        #expect(try admin.get("/cases?sla_breached=true")["data"]?.arrayValue?.count == 1)
        #expect(try admin.get("/customers/\(customer)/summary")["cases"]?["breached"] == .number("1"))

        // An activity logged on the case alone is about the case's customer.
        let activity = try admin.post(
            "/activities", #"{"type":"call","subject":"Called back","case_id":"\#(id)"}"#)
        #expect(activity.status == 201, "\(activity)")
        #expect(activity["case_id"] == .string(id))
        #expect(activity["customer_id"] == .string(customer))
        let responded = try admin.get("/cases/\(id)")
        #expect(responded["first_response_at"] != .null)
        #expect(responded["sla_breached"] == .bool(true))
        #expect(try admin.get("/activities?case_id=\(id)")["data"]?.arrayValue?.count == 1)
        let unknown = try admin.post(
            "/activities", #"{"type":"call","subject":"x","case_id":"\#(UUID().uuidString)"}"#)
        #expect(unknown.status == 422)
        #expect(unknown.text.contains(#""field":"case_id""#))

        #expect(try admin.post("/cases/\(id)/rate", #"{"score":4}"#).code == "invalid_transition")
        #expect(try move(id, to: "in_progress")["status"] == "in_progress")
        let resolved = try move(id, to: "resolved")
        #expect(resolved["status"] == "resolved")
        #expect(resolved["resolved_at"] != .null)
        #expect(try admin.post("/cases/\(id)/rate", #"{"score":6}"#).status == 422)
        #expect(try admin.post("/cases/\(id)/rate", #"{"score":0}"#).status == 422)
        let rated = try admin.post("/cases/\(id)/rate", #"{"score":4,"comment":"Quick and friendly"}"#)
        #expect(rated.status == 200, "\(rated)")
        #expect(rated["rating"] == .number("4"))
        let summary = try admin.get("/customers/\(customer)/summary")["cases"]
        #expect(summary?["open"] == .number("0"))
        #expect(summary?["average_satisfaction"]?.numberText == "4")
        let twice = try admin.post("/cases/\(id)/rate", #"{"score":5}"#)
        #expect(twice.status == 409)
        #expect(twice.code == "already_rated")
        let history = try admin.get("/cases/\(id)/history")["data"]?.arrayValue?.compactMap { $0["type"]?.stringValue }
        #expect(
            history == ["case.created", "case.status_changed", "case.status_changed", "case.rated"], "\(history ?? [])")
    }

    @Test func breachedCase_opensAnAlert_andResolvingTheCaseResolvesIt() throws {
        _ = try admin.send(
            "PUT", "/sla-policies/urgent", body: #"{"first_response_minutes":15,"resolution_minutes":60}"#)
        let customer = try fixture.customer()
        let late = try #require(try newCase(customer, priority: "urgent", reportedAgo: 3600)["id"]?.stringValue)
        let onTime = try #require(try newCase(customer, priority: "urgent")["id"]?.stringValue)
        var alerts = try admin.get("/alerts?kind=case_sla_breached&status=open")["data"]?.arrayValue ?? []
        #expect(alerts.count == 1)
        #expect(alerts.first?["subject"]?["id"] == .string(late))
        #expect(alerts.first?["severity"] == "critical")
        #expect(alerts.first?["customer_id"] == .string(customer))
        // Time alone breaches the other one: the tick finds it.
        try TestSQL.execute(
            app.databaseURL,
            "UPDATE service_cases SET first_response_due_at = now() - interval '1 minute' WHERE id = '\(onTime)'")
        #expect(try admin.post("/alerts/evaluate").status == 200)
        alerts = try admin.get("/alerts?kind=case_sla_breached&status=open")["data"]?.arrayValue ?? []
        #expect(alerts.count == 2)
        _ = try move(late, to: "in_progress")
        #expect(try move(late, to: "resolved")["status"] == "resolved")
        alerts = try admin.get("/alerts?kind=case_sla_breached&status=open")["data"]?.arrayValue ?? []
        #expect(alerts.compactMap { $0["subject"]?["id"]?.stringValue } == [onTime])
        #expect(try admin.get("/alerts?kind=case_sla_breached&status=resolved")["data"]?.arrayValue?.count == 1)
    }

    @Test func statusMoves_followTheLifecycle_andWaitingOnTheCustomerStopsTheResolutionClock() throws {
        _ = try admin.send(
            "PUT", "/sla-policies/normal", body: #"{"first_response_minutes":30,"resolution_minutes":120}"#)
        let customer = try fixture.customer()
        let serviceCase = try newCase(customer, reportedAgo: 60)
        let id = try #require(serviceCase["id"]?.stringValue)
        #expect(serviceCase["sla_breached"] == .bool(false))
        let invalid = try move(id, to: "resolved")
        #expect(invalid.status == 409)
        #expect(invalid.code == "invalid_transition")
        #expect(invalid["from_state"] == "new")
        #expect(invalid["to_state"] == "resolved")
        #expect(try move(id, to: "closed").status == 409)
        let started = try move(id, to: "in_progress")
        #expect(started["first_response_at"] != .null)
        #expect(try move(id, to: "waiting_customer")["status"] == "waiting_customer")
        let dueBefore = try fixture.sql("SELECT resolution_due_at FROM service_cases WHERE id = '\(id)'")
        // Three hours waiting on the customer: past the 120-minute deadline on the wall clock,
        // but the clock stood still.
        try TestSQL.execute(
            app.databaseURL,
            """
            UPDATE service_cases SET paused_at = paused_at - interval '3 hours',
                reported_at = reported_at - interval '3 hours',
                first_response_due_at = first_response_due_at - interval '3 hours',
                first_response_at = first_response_at - interval '3 hours',
                resolution_due_at = resolution_due_at - interval '3 hours'
            WHERE id = '\(id)'
            """)
        #expect(try admin.get("/cases/\(id)")["sla_breached"] == .bool(false))
        let resumed = try move(id, to: "in_progress")
        #expect(resumed["sla_breached"] == .bool(false))
        let moved = try fixture.sql(
            "SELECT extract(epoch FROM resolution_due_at - (\("'\(dueBefore)'")::timestamptz - interval '3 hours'))::int >= 10800 FROM service_cases WHERE id = '\(id)'"
        )
        #expect(moved == "t")
        #expect(try move(id, to: "resolved")["status"] == "resolved")
        #expect(try move(id, to: "in_progress")["resolved_at"] == .null)
        #expect(try move(id, to: "resolved")["status"] == "resolved")
        let closed = try move(id, to: "closed")
        #expect(closed["status"] == "closed")
        #expect(closed["closed_at"] != .null)
        #expect(try move(id, to: "in_progress").code == "invalid_transition")
        #expect(try admin.post("/cases/\(id)/rate", #"{"score":5}"#).status == 200)
    }

    @Test func badCases_are422_andTheTeamsRoundRobinAssignsOwnerless() throws {
        let customer = try fixture.customer()
        let bad = try admin.post(
            "/cases", #"{"customer_id":"\#(UUID().uuidString)","type":"question","subject":"Hi"}"#)
        #expect(bad.status == 422)
        #expect(bad.text.contains(#""field":"customer_id""#))
        let kind = try admin.post("/cases", #"{"customer_id":"\#(customer)","type":"rant","subject":"Hi"}"#)
        #expect(kind.status == 422)
        let future = try admin.post(
            "/cases",
            #"{"customer_id":"\#(customer)","type":"question","subject":"Hi","reported_at":"2099-01-01T00:00:00Z"}"#)
        #expect(future.status == 422)
        let readOnly = try admin.post(
            "/cases", #"{"customer_id":"\#(customer)","type":"question","subject":"Hi","sla_breached":true}"#)
        #expect(readOnly.code == "read_only_field")
        let contact = try admin.post(
            "/cases",
            #"{"customer_id":"\#(customer)","type":"question","subject":"Hi","contact_id":"\#(UUID().uuidString)"}"#)
        #expect(contact.status == 422)
        #expect(try fixture.sql("SELECT count(*) FROM service_cases") == "0")

        let first = try app.userID(), second = try app.userID()
        let team = try admin.post("/teams", #"{"name":"Care \#(UUID().uuidString.prefix(6))"}"#)
        let teamID = try #require(team["id"]?.stringValue)
        let assignment = try admin.send(
            "PUT", "/teams/\(teamID)/assignment",
            body: #"{"mode":"round_robin","members":["\#(first)","\#(second)"]}"#)
        #expect(assignment.status == 200, "\(assignment)")
        let owners = try (0..<4).map { _ in
            try newCase(customer, extra: #","team_id":"\#(teamID)""#)["owner_id"]?.stringValue
        }
        #expect(owners == [first, second, first, second])
        let named = try newCase(customer, extra: #","team_id":"\#(teamID)","owner_id":"\#(second)""#)
        #expect(named["owner_id"] == .string(second))
        #expect(try admin.get("/cases?team_id=\(teamID)&owner_id=\(first)")["data"]?.arrayValue?.count == 2)
    }

    @Test func serviceReport_countsMediansMetRateAndRatings() throws {
        _ = try admin.send(
            "PUT", "/sla-policies/urgent", body: #"{"first_response_minutes":10,"resolution_minutes":600}"#)
        let customer = try fixture.customer()
        let late = try #require(try newCase(customer, priority: "urgent", reportedAgo: 3600)["id"]?.stringValue)
        let fine = try #require(try newCase(customer, priority: "urgent")["id"]?.stringValue)
        _ = try newCase(customer, priority: "low")
        for id in [late, fine] {
            _ = try move(id, to: "in_progress")
            _ = try move(id, to: "resolved")
        }
        _ = try admin.post("/cases/\(late)/rate", #"{"score":2}"#)
        _ = try admin.post("/cases/\(fine)/rate", #"{"score":5}"#)
        let report = try admin.get("/reports/service?group_by=priority")
        #expect(report.status == 200, "\(report)")
        let rows = report["data"]?.arrayValue ?? []
        let urgent = try #require(rows.first { $0["priority"] == "urgent" })
        #expect(urgent["count"] == .number("2"))
        #expect(urgent["open"] == .number("0"))
        #expect(urgent["breached"] == .number("1"))
        #expect(urgent["sla_met_percent"]?.numberText == "50")
        #expect(urgent["average_rating"]?.numberText == "3.5")
        let low = try #require(rows.first { $0["priority"] == "low" })
        #expect(low["count"] == .number("1"))
        #expect(low["sla_met_percent"] == .null)
        #expect(try admin.get("/reports/service?group_by=colour").status == 400)
        let byType = try admin.get("/reports/service?group_by=type")
        #expect(byType["data"]?[0]?["type"] == "complaint")
        #expect(byType["data"]?[0]?["count"] == .number("3"))
        #expect(
            try admin.send("PUT", "/sla-policies/urgent", body: #"{"first_response_minutes":0,"resolution_minutes":1}"#)
                .status == 422)
        #expect(try admin.get("/sla-policies")["data"]?.arrayValue?.count == 1)
    }

    @Test func scopedUsers_seeOnlyTheCasesAndReturnsOfTheirCustomers() throws {
        let mine = try app.userID()
        let user = try admin.patch("/users/\(mine)", #"{"data_scope":"own"}"#)
        #expect(user.status == 200, "\(user)")
        let issued = try admin.post("/users/\(mine)/api-keys", #"{"name":"scoped"}"#)
        let scoped = app.client(key: try #require(issued["key"]?.stringValue))
        let own = try fixture.customer(#","owner_id":"\#(mine)""#)
        let other = try fixture.customer()
        let visible = try #require(try newCase(own)["id"]?.stringValue)
        let hidden = try #require(try newCase(other)["id"]?.stringValue)
        #expect(try scoped.get("/cases/\(visible)").status == 200)
        #expect(try scoped.get("/cases/\(hidden)").status == 404)
        #expect(try scoped.get("/cases")["data"]?.arrayValue?.count == 1)
        #expect(try scoped.patch("/cases/\(hidden)", #"{"status":"in_progress"}"#).status == 404)
        let activity = try scoped.post("/activities", #"{"type":"note","subject":"x","case_id":"\#(hidden)"}"#)
        #expect(activity.status == 422)
        let item = try fixture.item()
        try fixture.receive(item, quantity: 2, unitCost: 100)
        let order = try fixture.shippedOrder(customer: other, item: item, quantity: 2)
        let returned = try admin.post(
            "/sales-orders/\(order)/returns", #"{"lines":[{"line_no":1,"quantity":1}],"reason":"x"}"#)
        #expect(returned.status == 201)
        #expect(try scoped.get("/returns/\(returned["id"]!.stringValue!)").status == 404)
        #expect(try scoped.get("/returns")["data"]?.arrayValue?.isEmpty == true)
        #expect(
            try scoped.post("/sales-orders/\(order)/returns", #"{"lines":[{"line_no":1,"quantity":1}],"reason":"x"}"#)
                .status == 404)
        try fixture.expectInvariants()
    }
}
