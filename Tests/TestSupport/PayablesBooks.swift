import Foundation
import Postgres

/// The payables identities, read straight from the tables (not through the API whose
/// correctness is in question), except the statement, which is what the first one checks:
///
/// - per supplier: Σ open bill balances − unapplied advances = the statement's closing balance;
/// - per bill: `amount_paid` = Σ its payment allocations;
/// - per payment: `unapplied_amount` = `amount` − Σ its allocations;
/// - per purchase order line: `billed_quantity` = Σ the quantities of the bill lines (of bills
///   not void) that bill it, and never more than `received_quantity`.
///
/// `PayablesBooksCheckerTests` shows each rule here catching a corrupted row.
public enum PayablesBooks {
    /// Each broken identity as a line naming the record; empty when the books balance.
    /// `closingBalance` answers a supplier's statement closing balance (as JSON number text).
    public static func violations(_ databaseURL: String, closingBalance: (String) throws -> String?) throws -> [String]
    {
        var found: [String] = []
        let suppliers = try TestSQL.lines(
            databaseURL,
            """
            SELECT s.id || ' ' ||
                   (coalesce((SELECT sum(total - amount_paid) FROM supplier_bills b
                              WHERE b.supplier_id = s.id AND b.status IN ('posted', 'partially_paid')), 0)
                    - coalesce((SELECT sum(unapplied_amount) FROM supplier_payments p WHERE p.supplier_id = s.id), 0))
            FROM suppliers s
            WHERE EXISTS (SELECT 1 FROM supplier_bills b WHERE b.supplier_id = s.id)
               OR EXISTS (SELECT 1 FROM supplier_payments p WHERE p.supplier_id = s.id)
            """)
        for row in suppliers {
            let parts = row.split(separator: " ").map(String.init)
            let statement = try closingBalance(parts[0])
            if statement != parts[1] {
                found.append(
                    "supplier \(parts[0]): books say \(parts[1]), statement closes at \(statement ?? "nothing")")
            }
        }
        found += try TestSQL.lines(
            databaseURL,
            """
            SELECT format('bill %s: amount_paid %s, allocations %s', b.id, b.amount_paid, coalesce(sum(a.amount), 0))
            FROM supplier_bills b LEFT JOIN supplier_payment_allocations a ON a.supplier_bill_id = b.id
            GROUP BY b.id HAVING b.amount_paid <> coalesce(sum(a.amount), 0)
            """)
        found += try TestSQL.lines(
            databaseURL,
            """
            SELECT format('payment %s: amount %s, unapplied %s, allocations %s', p.id, p.amount, p.unapplied_amount,
                          coalesce(sum(a.amount), 0))
            FROM supplier_payments p LEFT JOIN supplier_payment_allocations a ON a.supplier_payment_id = p.id
            GROUP BY p.id HAVING p.unapplied_amount <> p.amount - coalesce(sum(a.amount), 0)
            """)
        found += try TestSQL.lines(
            databaseURL,
            """
            SELECT format('purchase order %s line %s: billed %s, received %s, on bills %s', l.purchase_order_id, l.line_no,
                          l.billed_quantity, l.received_quantity, coalesce(sum(bl.quantity), 0))
            FROM purchase_order_lines l
            LEFT JOIN supplier_bills b ON b.purchase_order_id = l.purchase_order_id AND b.status <> 'void'
            LEFT JOIN supplier_bill_lines bl ON bl.supplier_bill_id = b.id AND bl.purchase_order_line_no = l.line_no
            GROUP BY l.purchase_order_id, l.line_no
            HAVING l.billed_quantity <> coalesce(sum(bl.quantity), 0) OR l.billed_quantity > l.received_quantity
            """)
        return found
    }
}
