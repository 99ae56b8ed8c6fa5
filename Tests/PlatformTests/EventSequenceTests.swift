import Foundation
import Routing
import TestSupport
import Testing

/// A client that writes and then reads its own history sees every event numbered: reads number
/// what is pending first, instead of showing `sequence: null` until the publisher's next round.
@Suite struct EventSequenceTests {
    @Test func writeThenRead_historyAuditAndEvents_neverShowANullSequence() throws {
        let app = try TestApp()
        let admin = app.client()
        var nulls: [String] = []
        for round in 0..<40 {
            let created = try admin.post("/customers", #"{"name":"Round \#(round)"}"#)
            let id = try #require(created["id"]?.stringValue)
            _ = try admin.patch("/customers/\(id)", #"{"phone":"+31 10 \#(round)"}"#)
            let history = try admin.get("/customers/\(id)/history")["data"]?.arrayValue ?? []
            #expect(history.count == 2, "round \(round): \(history.count) events")
            nulls += history.filter { $0["sequence"] == .null || $0["sequence"] == nil }.map { _ in "history \(round)" }
            let audit = try admin.get("/audit?resource=customer&resource_id=\(id)")["data"]?.arrayValue ?? []
            #expect(audit.count == 2)
            nulls += audit.filter { $0["sequence"] == .null || $0["sequence"] == nil }.map { _ in "audit \(round)" }
        }
        #expect(nulls.isEmpty, "\(nulls.count) events without a sequence: \(nulls.prefix(5))")
        // The feed holds every one of them at once, in order.
        let feed = try admin.get("/events?types=customer.created,customer.updated&limit=200")["data"]?.arrayValue ?? []
        #expect(feed.count == 80)
        let sequences = feed.compactMap { $0["sequence"]?.int64Value }
        #expect(sequences.count == 80 && sequences == sequences.sorted())
    }
}
