import Foundation
import Postgres

/// The stock ledger identity, checked in SQL straight against the tables (not through the
/// API whose correctness is in question). Call `StockLedger.violations` after every test that
/// writes stock, in this target or any later one (Sales, Purchasing):
///
/// - `on_hand` of every balance equals the sum of its movements (and no movements exist
///   without a balance);
/// - `reserved` equals the sum of its open reservations.
///
/// "Nothing negative, reserved ≤ on_hand" is not checked here: the tables' CHECK constraints
/// (`stock_balances_on_hand_check`, `stock_balances_reserved_check`, reservations'
/// `quantity >= 0`) make such a row impossible, so a check for it could never fail.
/// `LedgerCheckerTests` shows each rule here catching a corrupted row.
public enum StockLedger {
    /// Each broken rule as a line naming the item and warehouse; empty when the identity holds.
    public static func violations(_ databaseURL: String) throws -> [String] {
        let text = try TestSQL.scalar(
            databaseURL,
            """
            WITH moved AS (
                SELECT item_id, warehouse_id, sum(quantity) AS quantity FROM stock_movements GROUP BY item_id, warehouse_id
            ), held AS (
                SELECT item_id, warehouse_id, sum(quantity) AS quantity FROM stock_reservations GROUP BY item_id, warehouse_id
            ), checked AS (
                SELECT item_id, warehouse_id, b.on_hand, b.reserved, coalesce(m.quantity, 0) AS moved,
                       coalesce(h.quantity, 0) AS held
                FROM stock_balances b
                FULL JOIN moved m USING (item_id, warehouse_id)
                FULL JOIN held h USING (item_id, warehouse_id)
            )
            SELECT coalesce(string_agg(format('item %s warehouse %s: on_hand %s, movements %s, reserved %s, reservations %s',
                                              item_id, warehouse_id, on_hand, moved, reserved, held), E'\\n'), '')
            FROM checked
            WHERE on_hand IS NULL OR on_hand <> moved OR reserved <> held
            """)
        return text.isEmpty ? [] : text.split(separator: "\n").map(String.init)
    }

    /// A balance's figures as text (`on_hand`, `reserved`), straight from the table; nil when
    /// there is no row.
    public static func balance(_ databaseURL: String, item: String, warehouse: String) throws -> (
        onHand: String, reserved: String
    )? {
        let text = try TestSQL.scalar(
            databaseURL,
            """
            SELECT on_hand::text || ' ' || reserved::text FROM stock_balances
            WHERE item_id = '\(item)' AND warehouse_id = '\(warehouse)'
            """)
        let parts = text.split(separator: " ")
        guard parts.count == 2 else { return nil }
        return (String(parts[0]), String(parts[1]))
    }
}
