import Foundation
import Postgres

/// The receivables identities, read straight from the tables (not through the API whose
/// correctness is in question), except the statement, which is what the first one checks:
///
/// - per customer: Σ open invoice balances − unapplied credit (of payments, and of credit notes
///   for returns beyond their invoice's balance) = the statement's closing balance
///   (API.md "Receivables");
/// - per invoice: `amount_paid` = Σ its payment allocations;
/// - per payment: `unapplied_amount` = `amount` − Σ its allocations.
///
/// "No balance below zero" is not checked: the invoices' CHECK
/// (`amount_paid + amount_credited <= total`) makes such a row impossible. `BooksCheckerTests`
/// shows each rule here catching a corrupted row.
public enum Books {
    /// Each broken identity as a line naming the record; empty when the books balance.
    /// `closingBalance` answers a customer's statement closing balance (as JSON number text).
    public static func violations(_ databaseURL: String, closingBalance: (String) throws -> String?) throws -> [String]
    {
        var found: [String] = []
        let customers = try TestSQL.lines(
            databaseURL,
            """
            SELECT c.id || ' ' ||
                   (coalesce((SELECT sum(total - amount_paid - amount_credited) FROM invoices i
                              WHERE i.customer_id = c.id AND i.currency = c.currency AND i.status IN ('issued', 'partially_paid')), 0)
                    - coalesce((SELECT sum(unapplied_amount) FROM payments p WHERE p.customer_id = c.id AND p.currency = c.currency), 0)
                    - coalesce((SELECT sum(unapplied_amount) FROM credit_notes n WHERE n.customer_id = c.id AND n.currency = c.currency), 0))
            FROM customers c
            WHERE EXISTS (SELECT 1 FROM invoices i WHERE i.customer_id = c.id) OR EXISTS (SELECT 1 FROM payments p WHERE p.customer_id = c.id)
            """)
        for row in customers {
            let parts = row.split(separator: " ").map(String.init)
            let statement = try closingBalance(parts[0])
            if statement != parts[1] {
                found.append(
                    "customer \(parts[0]): books say \(parts[1]), statement closes at \(statement ?? "nothing")")
            }
        }
        found += try TestSQL.lines(
            databaseURL,
            """
            SELECT format('invoice %s: amount_paid %s, allocations %s', i.id, i.amount_paid, coalesce(sum(a.amount), 0))
            FROM invoices i LEFT JOIN payment_allocations a ON a.invoice_id = i.id
            GROUP BY i.id HAVING i.amount_paid <> coalesce(sum(a.amount), 0)
            """)
        found += try TestSQL.lines(
            databaseURL,
            """
            SELECT format('payment %s: amount %s, unapplied %s, allocations %s', p.id, p.amount, p.unapplied_amount, coalesce(sum(a.amount), 0))
            FROM payments p LEFT JOIN payment_allocations a ON a.payment_id = p.id
            GROUP BY p.id HAVING p.unapplied_amount <> p.amount - coalesce(sum(a.amount), 0)
            """)
        return found
    }
}
