import Foundation
import Routing
import TestSupport
import Testing

/// A supplier's `address` is the address object of customers and warehouses.
@Suite struct SupplierAddressTests {
    @Test func address_isTheAddressObject_validated_andMergePatched() throws {
        let app = try TestApp()
        let admin = app.client()
        let created = try admin.post(
            "/suppliers",
            #"{"name":"Nordic Timber AB","address":{"line1":"Hamngatan 1","city":"Stockholm","country":"SE"}}"#)
        #expect(created.status == 201, "\(created)")
        let id = try #require(created["id"]?.stringValue)
        #expect(
            created["address"]?.objectValue?.keys.sorted() == [
                "city", "country", "line1", "line2", "postal_code", "region",
            ])
        #expect(created["address"]?["city"] == "Stockholm")

        let text = try admin.post("/suppliers", #"{"name":"Text","address":"Hamngatan 1\nStockholm"}"#)
        #expect(text.status == 422)
        #expect(text["errors"]?[0]?["field"]?.stringValue?.hasPrefix("address") == true)
        #expect(
            try admin.post("/suppliers", #"{"name":"Bad","address":{"country":"Sweden"}}"#)["errors"]?[0]?["field"]
                == "address.country")

        let patched = try admin.patch("/suppliers/\(id)", #"{"address":{"postal_code":"111 22"}}"#)
        #expect(patched.status == 200, "\(patched)")
        #expect(patched["address"]?["line1"] == "Hamngatan 1")
        #expect(patched["address"]?["postal_code"] == "111 22")
        #expect(try admin.patch("/suppliers/\(id)", #"{"address":null}"#)["address"] == .null)
    }
}
