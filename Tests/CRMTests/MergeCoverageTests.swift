import Core
import Foundation
import Routing
import TestSupport
import Testing

/// Customer merge across modules: every column that points at a customer moves.
@Suite struct MergeCoverageTests {
    let app: TestApp
    let admin: APIClient

    init() throws {
        app = try TestApp()
        admin = app.client()
    }

    @Test func everyCustomerReferenceInTheSchema_isRegisteredForMerge() throws {
        // Read the catalog: each foreign key onto customers(id), except a merged customer's own
        // pointer to its survivor, must be moved by some registered reference.
        let columns = try TestSQL.lines(
            app.databaseURL,
            """
            SELECT c.conrelid::regclass::text || '.' || a.attname
            FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
            WHERE c.contype = 'f' AND c.confrelid = 'customers'::regclass
            ORDER BY 1
            """)
        let expected = Set(columns).subtracting(["customers.merged_into_id"])
        let registered = Set(app.server.customers!.references.map(\.column))
        #expect(!expected.isEmpty)
        #expect(
            expected.subtracting(registered).isEmpty,
            "not moved by a merge: \(expected.subtracting(registered).sorted())")
        #expect(
            registered.subtracting(expected).isEmpty,
            "registered but not in the schema: \(registered.subtracting(expected).sorted())")
    }

    @Test func merge_movesLeadsOpportunitiesAndActivities_inOneGo() throws {
        let survivor = try #require(try admin.post("/customers", #"{"name":"Survivor"}"#)["id"]?.stringValue)
        let duplicate = try #require(try admin.post("/customers", #"{"name":"Duplicate"}"#)["id"]?.stringValue)
        let lead = try #require(try admin.post("/leads", #"{"name":"Converted"}"#)["id"]?.stringValue)
        #expect(try admin.post("/leads/\(lead)/convert", #"{"customer_id":"\#(duplicate)"}"#).status == 200)
        let deal = try #require(
            try admin.post("/opportunities", #"{"customer_id":"\#(duplicate)","name":"Moves"}"#)["id"]?.stringValue)
        let call = try #require(
            try admin.post("/activities", #"{"type":"call","subject":"Moves too","customer_id":"\#(duplicate)"}"#)[
                "id"]?.stringValue)
        let merged = try admin.post("/customers/\(survivor)/merge", #"{"duplicate_id":"\#(duplicate)"}"#)
        #expect(merged.status == 200, "\(merged)")
        #expect(merged["moved"]?["leads"] == .number("1"))
        #expect(merged["moved"]?["opportunities"] == .number("1"))
        #expect(merged["moved"]?["activities"] == .number("1"))
        #expect(try admin.get("/leads/\(lead)")["converted_customer_id"] == .string(survivor))
        #expect(try admin.get("/opportunities/\(deal)")["customer_id"] == .string(survivor))
        #expect(try admin.get("/activities/\(call)")["customer_id"] == .string(survivor))
        let left = try TestSQL.scalar(
            app.databaseURL,
            """
            SELECT (SELECT count(*) FROM opportunities WHERE customer_id = '\(duplicate)')
                 + (SELECT count(*) FROM activities WHERE customer_id = '\(duplicate)')
                 + (SELECT count(*) FROM leads WHERE converted_customer_id = '\(duplicate)')
            """)
        #expect(left == "0")
    }

    @Test func deletingACustomerThatDocumentsReferTo_is409() throws {
        let customer = try #require(try admin.post("/customers", #"{"name":"Referenced"}"#)["id"]?.stringValue)
        _ = try admin.post("/opportunities", #"{"customer_id":"\#(customer)","name":"Holds it"}"#)
        let reply = try admin.delete("/customers/\(customer)")
        #expect(reply.status == 409)
        #expect(reply.code == "customer_in_use")
        #expect(try admin.get("/customers/\(customer)").status == 200)
    }
}
