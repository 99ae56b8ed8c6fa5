import Core
import Foundation
import Platform
import Postgres
import TestSupport
import Testing

/// The document rules Sales, Purchasing, Receivables and CRM share: line input checks, line
/// amounts, totals with the 2^53 guard, credit figures, and the keyset clause of every list.
@Suite struct CommerceRulesTests {
    func decimal(_ text: String) -> ExactDecimal { try! ExactDecimal(parsing: text) }

    @Test func lineProblems_nameEachBrokenRule_underThePath() {
        let errors = DocumentRules.lineProblems(
            at: "lines[2]", quantity: .zero, price: -1, priceField: "unit_cost",
            discountPercent: decimal("100.001"), taxRate: decimal("-0.001"),
            description: String(repeating: "x", count: 1_001))
        #expect(
            errors.map(\.field) == [
                "lines[2].quantity", "lines[2].unit_cost", "lines[2].discount_percent", "lines[2].tax_rate",
                "lines[2].description",
            ])
        let limits = DocumentRules.lineProblems(
            at: "lines[0]", quantity: decimal("0.001"), price: MoneyRules.maxMinorUnits,
            discountPercent: decimal("100"), taxRate: .zero,
            description: String(repeating: "x", count: 1_000))
        #expect(limits.isEmpty)
        #expect(
            DocumentRules.lineProblems(at: "lines[0]", quantity: decimal("1"), price: MoneyRules.maxMinorUnits + 1).map(
                \.field)
                == ["lines[0].unit_price"])
    }

    @Test func headerAndCount_problems() {
        #expect(
            DocumentRules.headerProblems(
                currency: "USD", notes: String(repeating: "n", count: 10_000),
                externalRef: String(repeating: "r", count: 200)
            ).isEmpty)
        #expect(
            DocumentRules.headerProblems(
                currency: "XXX", notes: String(repeating: "n", count: 10_001),
                externalRef: String(repeating: "r", count: 201)
            ).map(\.field)
                == ["currency", "notes", "external_ref"])
        #expect(DocumentRules.countProblems(500).isEmpty)
        #expect(DocumentRules.countProblems(501).map(\.field) == ["lines"])
    }

    @Test func lineAmounts_roundHalfEven_andRefuseWhatPasses2to53() throws {
        // 2.5 × 333 = 832.5 → 832 (even); 19 % of 832 = 158.08 → 158.
        let first = try #require(
            LineAmounts.amounts(
                quantity: decimal("2.5"), unitPrice: 333, discountPercent: .zero, taxRate: decimal("19")))
        #expect(first.lineTotal == 832 && first.taxAmount == 158)
        // 3.5 × 1 = 3.5 → 4 (even).
        #expect(LineAmounts.lineTotal(quantity: decimal("3.5"), unitPrice: 1, discountPercent: .zero) == 4)
        #expect(
            LineAmounts.lineTotal(quantity: decimal("1"), unitPrice: MoneyRules.maxMinorUnits, discountPercent: .zero)
                == MoneyRules.maxMinorUnits)
        #expect(
            LineAmounts.lineTotal(quantity: decimal("2"), unitPrice: MoneyRules.maxMinorUnits, discountPercent: .zero)
                == nil)
        // The largest quantity times the largest price does not fit even the intermediate product.
        #expect(
            LineAmounts.amounts(
                quantity: ExactDecimal.greatestValue, unitPrice: MoneyRules.maxMinorUnits,
                discountPercent: .zero, taxRate: .zero) == nil)
    }

    struct Line: PricedLine {
        let lineTotal: Int64
        let taxAmount: Int64
    }

    @Test func totals_sumTheLines_andRefuseATotalPast2to53() throws {
        let totals = try DocumentTotals(
            [Line(lineTotal: 832, taxAmount: 158), Line(lineTotal: 2625, taxAmount: 184)], document: "order total")
        #expect(totals.subtotal == 3457 && totals.taxTotal == 342 && totals.total == 3799)
        #expect(try DocumentTotals([Line](), document: "invoice").total == 0)
        let atLimit = [Line(lineTotal: MoneyRules.maxMinorUnits - 1, taxAmount: 1)]
        #expect(try DocumentTotals(atLimit, document: "invoice").total == MoneyRules.maxMinorUnits)
        do {
            _ = try DocumentTotals([Line(lineTotal: MoneyRules.maxMinorUnits, taxAmount: 1)], document: "invoice")
            Issue.record("a total past 2^53-1 was accepted")
        } catch let error as AppError {
            #expect(error.code == .validationFailed)
            #expect(error.errors.map(\.message) == ["make the invoice larger than 2^53-1 minor units"])
        }
    }

    @Test func credit_usedIsReceivablesPlusOrders_andTheLimitItselfPasses() {
        let credit = CreditPosition(limit: 10_000, openReceivables: 3_000, openOrders: 2_000)
        #expect(credit.used == 5_000)
        #expect(credit.available == 5_000)
        #expect(credit.admits(5_000))
        #expect(!credit.admits(5_001))
        let unlimited = CreditPosition(limit: nil, openReceivables: 3_000, openOrders: -500)
        #expect(unlimited.used == 2_500 && unlimited.available == nil && unlimited.admits(Int64.max / 2))
        #expect(CreditPosition(limit: 100, openReceivables: 150, openOrders: 0).available == -50)
    }

    @Test func keyset_pagesForwardAndBackward_byKeyThenId() throws {
        let db = try PostgresConnection(connectionString: try TestCluster.freshDatabase())
        defer { db.close() }
        try db.execute(
            unsafeText: """
                CREATE TABLE things (id uuid PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL);
                INSERT INTO things VALUES
                  ('00000000-0000-0000-0000-000000000001', 'b', '2026-01-01T00:00:00Z'),
                  ('00000000-0000-0000-0000-000000000002', 'a', '2026-01-01T00:00:00Z'),
                  ('00000000-0000-0000-0000-000000000003', 'C', '2026-01-02T00:00:00Z'),
                  ('00000000-0000-0000-0000-000000000004', 'd', '2026-01-03T00:00:00Z');
                """)
        func names(
            _ keyset: Keyset, _ conditions: [SQL] = [], after: (key: String, id: UUID)?, descending: Bool = false,
            limit: Int
        ) throws -> [String] {
            try db.query(
                "SELECT name FROM things \(keyset.clause(conditions, after: after, descending: descending, limit: limit))"
            )
            .rows.map { try $0.decode("name") }
        }
        let one = UUID(uuidString: "00000000-0000-0000-0000-000000000001")!
        // Ties on created_at are broken by id; one row more than the limit comes back.
        #expect(try names(.createdAt, after: nil, limit: 2) == ["b", "a", "C"])
        #expect(try names(.createdAt, after: ("2026-01-01T00:00:00Z", one), limit: 2) == ["a", "C", "d"])
        #expect(
            try names(
                .createdAt, after: ("2026-01-02T00:00:00Z", UUID(uuidString: "00000000-0000-0000-0000-000000000000")!),
                descending: true, limit: 5) == ["a", "b"])
        #expect(
            try names(.createdAt, ["name <> \("C")"], after: ("2026-01-01T00:00:00Z", one), limit: 5) == ["a", "d"])
        #expect(try names(.lowerName, after: ("b", one), limit: 5) == ["C", "d"])
        #expect(try names(.lowerName, after: nil, descending: true, limit: 0) == ["d"])
    }
}
