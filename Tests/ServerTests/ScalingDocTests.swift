import Foundation
import Postgres
import TestSupport
import Testing

/// `docs/scaling.md` places every table for Citus: this reads the schema with every migration
/// applied and fails when a table is not placed there, or a placed one no longer exists.
@Suite struct ScalingDocTests {
    static let placements: Set<String> = ["distributed", "co-located", "reference", "local"]

    /// The rows of the document's "Table placement" table: table name → placement.
    static func placedTables() throws -> [String: String] {
        let text = try String(
            contentsOf: TestCluster.repositoryRoot.appendingPathComponent("docs/scaling.md"), encoding: .utf8)
        guard let start = text.range(of: "## Table placement") else { return [:] }
        var placed: [String: String] = [:]
        for line in text[start.upperBound...].split(separator: "\n") {
            if line.hasPrefix("## ") { break }
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 2, cells[0].hasPrefix("`"), cells[0].hasSuffix("`") else { continue }
            placed[String(cells[0].dropFirst().dropLast())] = cells[1]
        }
        return placed
    }

    @Test func everyTable_isPlacedInScalingDoc_andEveryPlacedTableExists() throws {
        let connection = try PostgresConnection(connectionString: try TestCluster.freshDatabase())
        defer { connection.close() }
        let tables = Set(
            try connection.query(
                """
                SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
                """
            ).rows.map { try $0.decode("name", as: String.self) })
        let placed = try Self.placedTables()
        #expect(tables.count > 30)
        let unplaced = tables.subtracting(placed.keys).sorted()
        #expect(unplaced.isEmpty, "tables docs/scaling.md does not place: \(unplaced)")
        let gone = Set(placed.keys).subtracting(tables).sorted()
        #expect(gone.isEmpty, "docs/scaling.md places tables that do not exist: \(gone)")
        for (table, placement) in placed.sorted(by: { $0.key < $1.key }) {
            #expect(Self.placements.contains(placement), "\(table): '\(placement)' is not a placement")
        }
    }
}
