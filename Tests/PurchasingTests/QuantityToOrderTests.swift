import Core
import Foundation
import Routing
import Testing

@testable import Purchasing

/// The reorder arithmetic on its own: the reorder quantity when it is enough, else the
/// smallest whole number of units that lifts the position above the reorder point.
@Suite struct QuantityToOrderTests {
    func row(point: String, quantity: String?, available: String, incoming: String = "0", drafted: String = "0") throws
        -> ReorderRow
    {
        ReorderRow(
            itemID: UUID(), sku: "S", name: "N", reorderPoint: try ExactDecimal(parsing: point),
            reorderQuantity: try quantity.map { try ExactDecimal(parsing: $0) }, averageCost: 0, supplierID: nil,
            supplierActive: false, available: try ExactDecimal(parsing: available),
            incoming: try ExactDecimal(parsing: incoming),
            drafted: try ExactDecimal(parsing: drafted))
    }

    @Test(
        arguments: [
            // point, reorder quantity, available, incoming, drafted → to order
            ("10", "20", "3", "0", "0", "20"),  // the reorder quantity lifts 3 to 23
            ("10", "2", "0", "0", "0", "11"),  // 2 would leave 2: order 11 to reach 11
            ("10", nil, "10", "0", "0", "1"),  // at the point: one unit gets above it
            ("4.5", nil, "0", "0", "0", "5"),  // ⌊4.5⌋ + 1
            ("10", "0", "2.25", "1", "0.5", "7"),  // position 3.75: ⌊6.25⌋ + 1
            ("0", nil, "0", "0", "0", "1"),  // a reorder point of 0 and nothing left
        ] as [(String, String?, String, String, String, String)])
    func quantityToOrder(
        point: String, reorder: String?, available: String, incoming: String, drafted: String, expected: String
    ) throws {
        let quantity = PurchasingService.quantityToOrder(
            try row(
                point: point, quantity: reorder, available: available,
                incoming: incoming, drafted: drafted))
        #expect(quantity == (try ExactDecimal(parsing: expected)))
    }

    @Test func split_listsItemsWithoutAnActiveSupplierApart() throws {
        let supplier = UUID()
        let rows = [
            ReorderRow(
                itemID: UUID(), sku: "A", name: "A", reorderPoint: .zero, reorderQuantity: nil, averageCost: 5,
                supplierID: supplier,
                supplierActive: true, available: .zero, incoming: .zero, drafted: .zero),
            ReorderRow(
                itemID: UUID(), sku: "B", name: "B", reorderPoint: .zero, reorderQuantity: nil, averageCost: 5,
                supplierID: supplier,
                supplierActive: false, available: .zero, incoming: .zero, drafted: .zero),
            ReorderRow(
                itemID: UUID(), sku: "C", name: "C", reorderPoint: .zero, reorderQuantity: nil, averageCost: 5,
                supplierID: nil,
                supplierActive: false, available: .zero, incoming: .zero, drafted: .zero),
        ]
        let (data, without) = PurchasingService.split(rows)
        #expect(data.map(\.sku) == ["A"])
        #expect(data.first?.unitCost == 5)
        #expect(without.map(\.sku) == ["B", "C"])
        #expect(without.map(\.reason) == ["supplier_inactive", "no_preferred_supplier"])
    }
}
