import Foundation
import Logging
import Postgres
import Routing
import TestSupport
import Testing

/// A warehouse's `address` is the address object of customers and suppliers.
@Suite struct WarehouseAddressTests {
    @Test func address_isTheAddressObject_validated_andMergePatched() throws {
        let app = try TestApp()
        let admin = app.client()
        let created = try admin.post(
            "/warehouses",
            """
            {"code":"DOCK","name":"Dock","address":{"line1":"1 Harbour Road","city":"Rotterdam","postal_code":"3011","country":"NL"}}
            """)
        #expect(created.status == 201, "\(created)")
        let id = try #require(created["id"]?.stringValue)
        let address = try #require(created["address"]?.objectValue)
        #expect(address.keys.sorted() == ["city", "country", "line1", "line2", "postal_code", "region"])
        #expect(created["address"]?["line2"] == .null)
        #expect(created["address"]?["country"] == "NL")

        let text = try admin.post("/warehouses", #"{"code":"TEXT","name":"Text","address":"1 Road\nTown"}"#)
        #expect(text.status == 422)
        #expect(text["errors"]?[0]?["field"]?.stringValue?.hasPrefix("address") == true)
        let country = try admin.post("/warehouses", #"{"code":"BAD","name":"Bad","address":{"country":"Netherlands"}}"#)
        #expect(country.status == 422)
        #expect(country["errors"]?[0]?["field"] == "address.country")
        let unknown = try admin.post("/warehouses", #"{"code":"BAD2","name":"Bad","address":{"street":"x"}}"#)
        #expect(unknown.status == 422)
        #expect(unknown.code == "unknown_field")

        // A merge patch merges into the address (RFC 7396); null clears one member or all of it.
        let patched = try admin.patch("/warehouses/\(id)", #"{"address":{"city":"Schiedam","line2":"Gate 4"}}"#)
        #expect(patched.status == 200, "\(patched)")
        #expect(patched["address"]?["line1"] == "1 Harbour Road")
        #expect(patched["address"]?["city"] == "Schiedam")
        #expect(patched["address"]?["line2"] == "Gate 4")
        #expect(
            try admin.patch("/warehouses/\(id)", #"{"address":{"country":"XX"}}"#)["errors"]?[0]?["field"]
                == "address.country")
        #expect(try admin.patch("/warehouses/\(id)", #"{"address":"Somewhere"}"#).status == 422)
        let cleared = try admin.patch("/warehouses/\(id)", #"{"address":null}"#)
        #expect(cleared["address"] == .null)
    }

    /// Migration 0010 turns a free-text address (warehouses', suppliers') into the object, the
    /// text in `line1`.
    @Test func migration_movesTextAddressesIntoLine1() throws {
        let url = try TestCluster.emptyDatabase()
        let all = try Migrator.load(
            directory: TestCluster.repositoryRoot.appendingPathComponent("Migrations"), logger: Logger(label: "test"))
        _ = try Migrator(migrations: all.migrations.filter { $0.version < 10 }, logger: Logger(label: "test")).migrate(
            connectionString: url)
        try TestSQL.execute(
            url,
            """
            INSERT INTO warehouses (code, name, address) VALUES ('OLD', 'Old', E'1 Road\\nTown'), ('NONE', 'None', NULL);
            INSERT INTO suppliers (name, address, currency) VALUES ('Old supplier', E' Hamngatan 1\\n  Stockholm ', 'USD');
            """)
        _ = try all.migrate(connectionString: url)
        #expect(
            try TestSQL.scalar(url, "SELECT address->>'line1' FROM warehouses WHERE code = 'OLD'") == "1 Road, Town")
        #expect(
            try TestSQL.scalar(url, "SELECT jsonb_typeof(address->'city') FROM warehouses WHERE code = 'OLD'") == "null"
        )
        #expect(
            try TestSQL.scalar(url, "SELECT coalesce(address::text, 'none') FROM warehouses WHERE code = 'NONE'")
                == "none")
        #expect(
            try TestSQL.scalar(url, "SELECT address->>'line1' FROM suppliers WHERE name = 'Old supplier'")
                == "Hamngatan 1, Stockholm")
    }

    /// An address longer than a line of the object would leave a record no later edit could
    /// pass; migration 0010 stops instead, naming the rows, and changes nothing.
    @Test func migration_refusesATextAddressLongerThanALine_namingTheRow() throws {
        let url = try TestCluster.emptyDatabase()
        let all = try Migrator.load(
            directory: TestCluster.repositoryRoot.appendingPathComponent("Migrations"), logger: Logger(label: "test"))
        _ = try Migrator(migrations: all.migrations.filter { $0.version < 10 }, logger: Logger(label: "test")).migrate(
            connectionString: url)
        try TestSQL.execute(
            url, "INSERT INTO warehouses (code, name, address) VALUES ('LONG', 'Long', repeat('x', 201))")
        #expect {
            _ = try all.migrate(connectionString: url)
        } throws: { error in
            "\(error)".contains("warehouse LONG")
        }
        #expect(
            try TestSQL.scalar(url, "SELECT pg_typeof(address)::text FROM warehouses WHERE code = 'LONG'") == "text")
    }
}
