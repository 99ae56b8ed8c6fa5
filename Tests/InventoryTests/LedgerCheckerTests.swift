import Foundation
import TestSupport
import Testing

/// The ledger checker itself: each rule reports a row corrupted behind the API's back (in this
/// test's throwaway database), and names it.
@Suite struct LedgerCheckerTests {
    @Test func eachLedgerRule_reportsACorruptedRow() throws {
        let app = try TestApp()
        let fixture = StockFixture(app)
        let warehouse = try fixture.warehouse("LC1")
        var items: [String] = []
        for index in 0..<4 {
            let item = try fixture.item("LC-\(index)")
            if index < 3 { try fixture.stock(item, warehouse, "10") }
            items.append(item)
        }
        #expect(try StockLedger.violations(app.databaseURL) == [])

        // on_hand no longer the sum of its movements.
        try TestSQL.execute(
            app.databaseURL, "UPDATE stock_balances SET on_hand = on_hand + 1 WHERE item_id = '\(items[0])'")
        // reserved without a reservation behind it.
        try TestSQL.execute(app.databaseURL, "UPDATE stock_balances SET reserved = 2 WHERE item_id = '\(items[1])'")
        // A reservation the balance does not count.
        try TestSQL.execute(
            app.databaseURL,
            """
            INSERT INTO stock_reservations (reference_type, reference_id, reference_line, item_id, warehouse_id, quantity)
            VALUES ('sales_order', gen_random_uuid(), 1, '\(items[2])', '\(warehouse)', 3)
            """)
        // A movement without a balance.
        try TestSQL.execute(
            app.databaseURL,
            """
            INSERT INTO stock_movements (item_id, warehouse_id, quantity, kind, reason) VALUES ('\(items[3])', '\(warehouse)', 5, 'adjustment', 'corrupt')
            """)

        let violations = try StockLedger.violations(app.databaseURL)
        #expect(violations.count == 4, "\(violations)")
        for item in items {
            #expect(violations.contains { $0.contains(item) }, "no report for item \(item): \(violations)")
        }
    }
}
