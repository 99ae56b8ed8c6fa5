import App
import Catalog
import Core
import Foundation
import Inventory
import Platform
import Postgres
import Routing
import TestSupport
import Testing

/// The Swift API Sales and Purchasing call inside their own transactions: reserve, release,
/// ship, receive; the moving average; the valuation report; the demo seed.
@Suite struct LedgerAPITests {
    let app: TestApp
    let admin: APIClient
    let fixture: StockFixture
    let inventory: InventoryService
    let pool: ConnectionPool

    init() throws {
        app = try TestApp()
        admin = app.client()
        fixture = StockFixture(app)
        inventory = try #require(app.server.inventory)
        pool = try #require(app.server.pool)
    }

    func q(_ text: String) -> ExactDecimal { try! ExactDecimal(parsing: text) }
    func id(_ text: String) -> UUID { UUID(uuidString: text)! }
    func order() -> StockReference { StockReference(type: "sales_order", id: UUID(), number: "SO-000001") }

    @Test func reserve_isAllOrNothing_andNamesEveryShortLine() throws {
        let chairs = try fixture.item("RV-CHAIR")
        let desks = try fixture.item("RV-DESK")
        let lamps = try fixture.item("RV-LAMP")
        let main = try fixture.warehouse("RV")
        try fixture.stock(chairs, main, "5")
        try fixture.stock(desks, main, "1")
        try fixture.stock(lamps, main, "10")
        let reference = order()
        let lines = [
            StockLine(lineNo: 1, itemID: id(chairs), warehouseID: id(main), quantity: q("4")),
            StockLine(lineNo: 2, itemID: id(desks), warehouseID: id(main), quantity: q("2")),
            StockLine(lineNo: 3, itemID: id(lamps), warehouseID: id(main), quantity: q("3")),
            StockLine(lineNo: 4, itemID: id(chairs), warehouseID: id(main), quantity: q("1.5")),
        ]
        let error = #expect(throws: InsufficientStock.self) {
            try pool.transaction { tx in try inventory.reserve(lines: lines, reference: reference, actor: nil, in: tx) }
        }
        // Chairs: 4 + 1.5 asked of 5; desks: 2 of 1. Lamps are fine.
        #expect(error?.shortages.map(\.lineNo) == [1, 2, 4])
        #expect(error?.shortages.first { $0.lineNo == 2 }?.available == q("1"))
        #expect(error?.shortages.first { $0.lineNo == 2 }?.requested == q("2"))
        #expect(error?.problem.code == .insufficientStock)
        #expect(try fixture.level(lamps, main)?.reserved == "0")

        let fitting = [
            lines[0], lines[2], StockLine(lineNo: 4, itemID: id(chairs), warehouseID: id(main), quantity: q("1")),
        ]
        try pool.transaction { tx in try inventory.reserve(lines: fitting, reference: reference, actor: nil, in: tx) }
        #expect(try fixture.level(chairs, main)?.reserved == "5")
        #expect(try fixture.level(chairs, main)?.available == "0")
        #expect(try fixture.level(lamps, main)?.reserved == "3")
        try fixture.expectLedgerConsistent()
    }

    @Test func reserved_stockCannotBeAdjustedOrTransferredAway() throws {
        let item = try fixture.item("RV-ADJ")
        let main = try fixture.warehouse("RA")
        let other = try fixture.warehouse("RB")
        try fixture.stock(item, main, "5")
        try pool.transaction { tx in
            try inventory.reserve(
                lines: [StockLine(lineNo: 1, itemID: id(item), warehouseID: id(main), quantity: q("4"))],
                reference: order(), actor: nil, in: tx)
        }
        let adjust = try fixture.adjust(item, main, delta: "-2")
        #expect(adjust.code == "insufficient_stock")
        #expect(adjust["shortages"]?.arrayValue?.first?.objectValue?["available"] == .number("1"))
        let count = try admin.post(
            "/stock/adjustments", #"{"item_id":"\#(item)","warehouse_id":"\#(main)","counted_quantity":3,"reason":"x"}"#
        )
        #expect(count.code == "insufficient_stock")
        let transfer = try admin.post(
            "/stock/transfers",
            #"{"item_id":"\#(item)","from_warehouse_id":"\#(main)","to_warehouse_id":"\#(other)","quantity":2}"#)
        #expect(transfer.code == "insufficient_stock")
        #expect(try fixture.adjust(item, main, delta: "-1").status == 201)
        #expect(try fixture.level(item, main)?.available == "0")
        try fixture.expectLedgerConsistent()
    }

    @Test func release_givesBackWhatIsHeld_perLineOrAll_andTwiceReleasesNothing() throws {
        let item = try fixture.item("RL-1")
        let main = try fixture.warehouse("RL")
        try fixture.stock(item, main, "10")
        let reference = order()
        try pool.transaction { tx in
            try inventory.reserve(
                lines: [
                    StockLine(lineNo: 1, itemID: id(item), warehouseID: id(main), quantity: q("2")),
                    StockLine(lineNo: 2, itemID: id(item), warehouseID: id(main), quantity: q("3")),
                ],
                reference: reference, actor: nil, in: tx)
        }
        let first = try pool.transaction { tx in
            try inventory.release(reference: reference, lines: [2], actor: nil, in: tx)
        }
        #expect(first.map(\.lineNo) == [2])
        #expect(try fixture.level(item, main)?.reserved == "2")
        let rest = try pool.transaction { tx in try inventory.release(reference: reference, actor: nil, in: tx) }
        #expect(rest.map(\.quantity) == [q("2")])
        let again = try pool.transaction { tx in try inventory.release(reference: reference, actor: nil, in: tx) }
        #expect(again.isEmpty)
        #expect(try fixture.level(item, main)?.reserved == "0")
        let held = try pool.transaction { tx in try inventory.reservations(reference: reference, in: tx) }
        #expect(held.map(\.quantity) == [.zero, .zero])
        try fixture.expectLedgerConsistent()
    }

    @Test func ship_takesFromTheReservationFirst_thenFromAvailable() throws {
        let item = try fixture.item("SH-1")
        let main = try fixture.warehouse("SH")
        try fixture.stock(item, main, "10")
        let reference = order()
        try pool.transaction { tx in
            try inventory.reserve(
                lines: [StockLine(lineNo: 1, itemID: id(item), warehouseID: id(main), quantity: q("4"))],
                reference: reference, actor: nil, in: tx)
        }
        // A partial shipment of line 1.
        let movements = try pool.transaction { tx in
            try inventory.ship(
                lines: [StockLine(lineNo: 1, itemID: id(item), warehouseID: id(main), quantity: q("1.5"))],
                reference: reference, actor: nil, in: tx)
        }
        #expect(movements.first?.quantity == q("-1.5"))
        #expect(movements.first?.kind == .shipment)
        #expect(movements.first?.reference?.id == reference.id)
        #expect(movements.first?.reference?.lineNo == 1)
        #expect(try fixture.level(item, main).map { [$0.onHand, $0.reserved] } == ["8.5", "2.5"])
        // Line 1's rest (2.5 held) plus 1 beyond the reservation, and line 2 unreserved.
        try pool.transaction { tx in
            _ = try inventory.ship(
                lines: [
                    StockLine(lineNo: 1, itemID: id(item), warehouseID: id(main), quantity: q("3.5")),
                    StockLine(lineNo: 2, itemID: id(item), warehouseID: id(main), quantity: q("1")),
                ],
                reference: reference, actor: nil, in: tx)
        }
        #expect(try fixture.level(item, main).map { [$0.onHand, $0.reserved] } == ["4", "0"])
        let tooMuch = #expect(throws: InsufficientStock.self) {
            try pool.transaction { tx in
                try inventory.ship(
                    lines: [StockLine(lineNo: 3, itemID: id(item), warehouseID: id(main), quantity: q("5"))],
                    reference: reference, actor: nil, in: tx)
            }
        }
        #expect(tooMuch?.shortages.first?.available == q("4"))
        let listed = try admin.get(
            "/stock/movements?kind=shipment&reference_type=sales_order&reference_id=\(reference.id.uuidString.lowercased())"
        )
        #expect(listed["data"]?.arrayValue?.count == 3)
        #expect(
            listed["data"]?.arrayValue?.first?.objectValue?["reference"]?.objectValue?["number"] == .string("SO-000001")
        )
        try fixture.expectLedgerConsistent()
    }

    @Test func receive_updatesTheMovingAverage_atTwoCosts_acrossWarehouses() throws {
        let item = try fixture.item("RC-1")
        let main = try fixture.warehouse("RC1")
        let east = try fixture.warehouse("RC2")
        let purchase = StockReference(type: "purchase_order", id: UUID(), number: "PO-000001")
        try pool.transaction { tx in
            _ = try inventory.receive(
                lines: [
                    ReceiptLine(lineNo: 1, itemID: id(item), warehouseID: id(main), quantity: q("10"), unitCost: 500)
                ],
                reference: purchase, actor: nil, in: tx)
        }
        #expect(try admin.get("/items/\(item)")["average_cost"] == .number("500"))
        // (10 × 500 + 30 × 700) / 40 = 650, the 30 landing in another warehouse.
        try pool.transaction { tx in
            _ = try inventory.receive(
                lines: [
                    ReceiptLine(lineNo: 2, itemID: id(item), warehouseID: id(east), quantity: q("30"), unitCost: 700)
                ],
                reference: purchase, actor: nil, in: tx)
        }
        #expect(try admin.get("/items/\(item)")["average_cost"] == .number("650"))
        // Shipping does not change the average; (20 + 3 × 999 → (20 × 650 + 3 × 999) / 23 = 695.52… → 696.
        try pool.transaction { tx in
            _ = try inventory.ship(
                lines: [StockLine(lineNo: 1, itemID: id(item), warehouseID: id(east), quantity: q("20"))],
                reference: order(), actor: nil, in: tx)
        }
        #expect(try admin.get("/items/\(item)")["average_cost"] == .number("650"))
        try pool.transaction { tx in
            _ = try inventory.receive(
                lines: [
                    ReceiptLine(lineNo: 3, itemID: id(item), warehouseID: id(main), quantity: q("3"), unitCost: 999)
                ],
                reference: purchase, actor: nil, in: tx)
        }
        #expect(try admin.get("/items/\(item)")["average_cost"] == .number("696"))
        let receipts = try admin.get("/stock/movements?kind=receipt&item_id=\(item)")["data"]?.arrayValue?.compactMap {
            $0.objectValue?["unit_cost"]?.int64Value
        }
        #expect(receipts == [500, 700, 999])

        // Valuation: 13 × 696 in MAIN, 10 × 696 in EAST.
        let valuation = try admin.get("/reports/stock-valuation?item_id=\(item)")
        #expect(valuation["currency"] == .string("USD"))
        let rows = valuation["data"]?.arrayValue?.compactMap { $0.objectValue } ?? []
        #expect(rows.count == 2)
        #expect(rows.first { $0["warehouse_id"] == .string(main) }?["value"] == .number("9048"))
        #expect(rows.first { $0["warehouse_id"] == .string(east) }?["value"] == .number("6960"))
        #expect(rows.first?["average_cost"] == .number("696"))
        #expect(valuation["total_value"] == .number("16008"))
        #expect(try admin.get("/reports/stock-valuation?warehouse_id=\(east)")["total_value"] == .number("6960"))
        try fixture.expectLedgerConsistent()
    }

    @Test func valuation_ofFractionalQuantities_roundsHalfEvenPerLine() throws {
        let item = try fixture.item("VL-1")
        let main = try fixture.warehouse("VL")
        try pool.transaction { tx in
            _ = try inventory.receive(
                lines: [
                    ReceiptLine(lineNo: 1, itemID: id(item), warehouseID: id(main), quantity: q("0.5"), unitCost: 5)
                ],
                reference: StockReference(type: "purchase_order", id: UUID()), actor: nil, in: tx)
        }
        // 0.5 × 5 = 2.5 → 2.
        #expect(try admin.get("/reports/stock-valuation")["total_value"] == .number("2"))
        try fixture.expectLedgerConsistent()
    }

    @Test func serviceItemsAndUnknownIds_areRefusedByTheSwiftAPI() throws {
        let service = try fixture.item("SV-1", type: "service")
        let main = try fixture.warehouse("SV")
        let refused = #expect(throws: AppError.self) {
            try pool.transaction { tx in
                try inventory.reserve(
                    lines: [StockLine(lineNo: 1, itemID: id(service), warehouseID: id(main), quantity: q("1"))],
                    reference: order(), actor: nil, in: tx)
            }
        }
        #expect(refused?.code == .notStockItem)
        let unknown = #expect(throws: AppError.self) {
            try pool.transaction { tx in
                try inventory.reserve(
                    lines: [
                        StockLine(lineNo: 1, itemID: UUID(), warehouseID: id(main), quantity: q("1")),
                        StockLine(lineNo: 2, itemID: id(service), warehouseID: UUID(), quantity: q("0")),
                    ],
                    reference: order(), actor: nil, in: tx)
            }
        }
        #expect(unknown?.code == .validationFailed)
        #expect(unknown?.errors.map(\.field) == ["lines[1].quantity", "lines[0].item_id", "lines[1].warehouse_id"])
        try fixture.expectLedgerConsistent()
    }

    @Test func callersTransaction_rollsBackTheStockWithIt() throws {
        let item = try fixture.item("TX-1")
        let main = try fixture.warehouse("TX")
        try fixture.stock(item, main, "3")
        struct DocumentFailed: Error {}
        #expect(throws: DocumentFailed.self) {
            try pool.transaction { tx in
                try inventory.reserve(
                    lines: [StockLine(lineNo: 1, itemID: id(item), warehouseID: id(main), quantity: q("3"))],
                    reference: order(), actor: nil, in: tx)
                throw DocumentFailed()
            }
        }
        #expect(try fixture.level(item, main)?.reserved == "0")
        try fixture.expectLedgerConsistent()
    }

    @Test func aSalesOrderLifecycle_reserveShipPartlyReleaseRest_isRecordedInItsHistory() throws {
        let item = try fixture.item("SO-FLOW")
        let main = try fixture.warehouse("SOF")
        let purchase = StockReference(type: "purchase_order", id: UUID(), number: "PO-000007")
        try pool.transaction { tx in
            _ = try inventory.receive(
                itemID: id(item), warehouseID: id(main), quantity: q("10"), unitCost: 250, reference: purchase, in: tx)
        }
        let reference = order()
        let line = StockLine(lineNo: 1, itemID: id(item), warehouseID: id(main), quantity: q("6"))
        try pool.transaction { tx in try inventory.reserve(lines: [line], reference: reference, in: tx) }
        try pool.transaction { tx in
            _ = try inventory.ship(
                lines: [StockLine(lineNo: 1, itemID: id(item), warehouseID: id(main), quantity: q("4"))],
                reference: reference, in: tx)
        }
        let released = try pool.transaction { tx in try inventory.release(reference: reference, in: tx) }
        #expect(released.map(\.quantity) == [q("2")])
        #expect(try fixture.level(item, main).map { [$0.onHand, $0.reserved, $0.available] } == ["6", "0", "6"])
        let types = ["stock.received", "stock.reserved", "stock.shipped", "stock.released"]
        #expect(
            try eventually {
                try admin.get("/events?types=\(types.joined(separator: ","))")["data"]?.arrayValue?.count == 4
            })
        let feed = try admin.get("/events?types=stock.reserved,stock.shipped,stock.released")["data"]?.arrayValue ?? []
        #expect(feed.allSatisfy { $0.objectValue?["resource_type"] == .string("sales_order") })
        #expect(feed.allSatisfy { $0.objectValue?["resource_id"] == .string(reference.id.uuidString.lowercased()) })
        let shipped = feed.first { $0.objectValue?["type"] == .string("stock.shipped") }?.objectValue?["data"]?
            .objectValue
        #expect(shipped?["lines"]?.arrayValue?.first?.objectValue?["quantity"] == .number("4"))
        try fixture.expectLedgerConsistent()
    }

    @Test func demoSeed_runsTwice_withoutDuplicates() throws {
        let first = try app.server.seedDemo()
        let second = try app.server.seedDemo()
        #expect(first != second)
        #expect(second.allSatisfy { $0.contains("already seeded") })
        // Every order status is there, and the books and the ledger hold.
        let statuses = Set(
            try admin.get("/sales-orders?limit=200")["data"]?.arrayValue?.compactMap { $0["status"]?.stringValue } ?? []
        )
        #expect(statuses == ["draft", "confirmed", "partially_shipped", "shipped", "cancelled", "closed"])
        #expect(try admin.get("/invoices?overdue=true")["data"]?.arrayValue?.count == 1)
        #expect(try admin.get("/leads?status=converted")["data"]?.arrayValue?.count == 1)
        #expect(try admin.get("/warehouses")["data"]?.arrayValue?.count == 2)
        #expect(try admin.get("/items")["data"]?.arrayValue?.count == 5)
        #expect(try admin.get("/pricing/tiers/gold")["discount_percent"] == .number("10"))
        let valuation = try admin.get("/reports/stock-valuation")
        #expect((valuation["total_value"]?.int64Value ?? 0) > 0)
        try fixture.expectLedgerConsistent()
    }
}
