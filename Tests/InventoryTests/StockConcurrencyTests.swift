import Core
import Foundation
import Inventory
import Routing
import Synchronization
import TestSupport
import Testing

/// Many threads on one item at once: stock is never oversold, never negative, and the ledger
/// identity holds, through the Swift API, over HTTP, and through two server instances.
@Suite struct StockConcurrencyTests {
    /// Counts outcomes from many threads.
    final class Tally: Sendable {
        private let counts = Mutex<[String: Int]>([:])
        func add(_ outcome: String) { counts.withLock { $0[outcome, default: 0] += 1 } }
        subscript(_ outcome: String) -> Int { counts.withLock { $0[outcome] ?? 0 } }
        var all: [String: Int] { counts.withLock { $0 } }
    }

    func q(_ text: String) -> ExactDecimal { try! ExactDecimal(parsing: text) }

    @Test func fiftyThreads_reservingAndAdjustingOneItem_neverOversell() throws {
        let app = try TestApp()
        let fixture = StockFixture(app)
        let item = try fixture.item("CC-1")
        let main = try fixture.warehouse("CC")
        try fixture.stock(item, main, "20")
        let inventory = try #require(app.server.inventory)
        let pool = try #require(app.server.pool)
        let itemID = UUID(uuidString: item)!
        let warehouseID = UUID(uuidString: main)!
        let tally = Tally()

        // 25 reservations through the Swift API and 25 HTTP adjustments of −1 compete for 20 units.
        concurrently(50) { index in
            if index % 2 == 0 {
                do {
                    try pool.transaction { tx in
                        try inventory.reserve(
                            lines: [StockLine(lineNo: 1, itemID: itemID, warehouseID: warehouseID, quantity: q("1"))],
                            reference: StockReference(type: "sales_order", id: UUID()), actor: nil, in: tx)
                    }
                    tally.add("reserved")
                } catch is InsufficientStock {
                    tally.add("short")
                } catch {
                    tally.add("error \(error)")
                }
            } else {
                do {
                    let reply = try fixture.adjust(item, main, delta: "-1", client: app.client())
                    switch reply.status {
                    case 201: tally.add("adjusted")
                    case 409 where reply.code == "insufficient_stock": tally.add("short")
                    default: tally.add("error \(reply)")
                    }
                } catch {
                    tally.add("error \(error)")
                }
            }
        }
        #expect(tally["reserved"] + tally["adjusted"] == 20, "outcomes: \(tally.all)")
        #expect(tally["short"] == 30, "outcomes: \(tally.all)")
        let balance = try #require(try StockLedger.balance(app.databaseURL, item: item, warehouse: main))
        #expect(balance.onHand == "\(20 - tally["adjusted"]).000")
        #expect(balance.reserved == "\(tally["reserved"]).000")
        try fixture.expectLedgerConsistent()
    }

    @Test func fiftyThreads_mixingReserveReleaseShipAndBothAdjustmentSigns_keepTheIdentity() throws {
        let app = try TestApp()
        let fixture = StockFixture(app)
        let item = try fixture.item("CC-2")
        let main = try fixture.warehouse("CM")
        try fixture.stock(item, main, "5")
        let inventory = try #require(app.server.inventory)
        let pool = try #require(app.server.pool)
        let line = StockLine(
            lineNo: 1, itemID: UUID(uuidString: item)!, warehouseID: UUID(uuidString: main)!, quantity: q("1.5"))
        let tally = Tally()

        concurrently(50) { index in
            let reference = StockReference(type: "sales_order", id: UUID())
            do {
                switch index % 5 {
                case 0:  // reserve, then release
                    try pool.transaction { tx in
                        try inventory.reserve(lines: [line], reference: reference, actor: nil, in: tx)
                    }
                    try pool.transaction { tx in _ = try inventory.release(reference: reference, actor: nil, in: tx) }
                    tally.add("released")
                case 1:  // reserve, then ship what was reserved
                    try pool.transaction { tx in
                        try inventory.reserve(lines: [line], reference: reference, actor: nil, in: tx)
                    }
                    try pool.transaction { tx in
                        _ = try inventory.ship(lines: [line], reference: reference, actor: nil, in: tx)
                    }
                    tally.add("shipped")
                case 2:  // receive
                    try pool.transaction { tx in
                        _ = try inventory.receive(
                            lines: [
                                ReceiptLine(
                                    lineNo: 1, itemID: line.itemID, warehouseID: line.warehouseID,
                                    quantity: q("1"), unitCost: 100)
                            ], reference: reference, actor: nil, in: tx)
                    }
                    tally.add("received")
                case 3:
                    let reply = try fixture.adjust(item, main, delta: "-0.5", client: app.client())
                    tally.add(reply.status == 201 ? "taken" : reply.code ?? "\(reply.status)")
                default:
                    let reply = try fixture.adjust(item, main, delta: "0.25", client: app.client())
                    tally.add(reply.status == 201 ? "added" : reply.code ?? "\(reply.status)")
                }
            } catch is InsufficientStock {
                tally.add("insufficient_stock")
            } catch {
                tally.add("error \(error)")
            }
        }
        #expect(!tally.all.keys.contains { $0.hasPrefix("error") }, "outcomes: \(tally.all)")
        #expect(pool.retries(.deadlockDetected) == 0)
        #expect(tally["received"] == 10 && tally["added"] == 10, "outcomes: \(tally.all)")
        // 5 + 10 received + 10 × 0.25 added − 1.5 per shipment − 0.5 per taken.
        let expected = 5_000 + 10_000 + 2_500 - 1_500 * tally["shipped"] - 500 * tally["taken"]
        let balance = try #require(try StockLedger.balance(app.databaseURL, item: item, warehouse: main))
        #expect(balance.onHand == ExactDecimal(thousandths: Int64(expected)).postgresText3, "outcomes: \(tally.all)")
        #expect(balance.reserved == "0.000")
        try fixture.expectLedgerConsistent()
    }

    @Test func reservationsNamingItemsInOppositeOrders_neverDeadlock() throws {
        let app = try TestApp()
        let fixture = StockFixture(app)
        let items = try (0..<4).map { try fixture.item("DL-\($0)") }
        let main = try fixture.warehouse("DL")
        for item in items { try fixture.stock(item, main, "1000") }
        let inventory = try #require(app.server.inventory)
        let pool = try #require(app.server.pool)
        let tally = Tally()

        // Each thread reserves every item, half of them in reverse order, holding the locks a moment.
        concurrently(30) { index in
            let order = index % 2 == 0 ? items : items.reversed()
            let lines = order.enumerated().map { position, item in
                StockLine(
                    lineNo: position + 1, itemID: UUID(uuidString: item)!, warehouseID: UUID(uuidString: main)!,
                    quantity: self.q("1"))
            }
            do {
                try pool.transaction { tx in
                    try inventory.reserve(
                        lines: lines, reference: StockReference(type: "sales_order", id: UUID()), in: tx)
                    try tx.execute("SELECT pg_sleep(0.01)")
                }
                tally.add("reserved")
            } catch {
                tally.add("error \(error)")
            }
        }
        #expect(tally["reserved"] == 30, "outcomes: \(tally.all)")
        // The pool retries a deadlock, so every reservation succeeds either way: its count of
        // 40P01 retries is what shows whether locks were taken in one order.
        #expect(pool.retries(.deadlockDetected) == 0)
        #expect(try app.client(key: "").get("/metrics").text.contains("\nconcord_db_deadlock_retries_total 0\n"))
        for item in items {
            #expect(try StockLedger.balance(app.databaseURL, item: item, warehouse: main)?.reserved == "30.000")
        }
        try fixture.expectLedgerConsistent()
    }

    @Test func anItemCannotBecomeAService_whileStockIsBeingWrittenForIt() throws {
        let app = try TestApp()
        let fixture = StockFixture(app)
        let item = try fixture.item("RACE-1")
        let main = try fixture.warehouse("RACE")
        let inventory = try #require(app.server.inventory)
        let pool = try #require(app.server.pool)
        let started = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        let outcome = Locked<String>("not finished")
        // A stock write that stays open until the patch waits on it (the adjustment joins this transaction).
        Thread {
            do {
                try pool.transaction { tx in
                    _ = try inventory.adjust(
                        itemID: UUID(uuidString: item)!, warehouseID: UUID(uuidString: main)!,
                        quantityDelta: self.q("1"), reason: "delivery")
                    started.signal()
                    let waited = try eventually(timeout: 10) {
                        try TestSQL.scalar(
                            app.databaseURL,
                            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
                        ) != "0"
                    }
                    if !waited { throw TestFailure("the patch never waited for the stock write") }
                }
                outcome.withLock { $0 = "committed" }
            } catch {
                outcome.withLock { $0 = "\(error)" }
                started.signal()
            }
            done.signal()
        }.start()
        #expect(started.wait(timeout: .now() + 20) == .success)
        // The patch waits for the stock write to commit, then sees the stock.
        let patch = try fixture.admin.patch("/items/\(item)", #"{"type":"service"}"#)
        #expect(done.wait(timeout: .now() + 20) == .success)
        #expect(outcome.withLock { $0 } == "committed")
        #expect(patch.status == 409)
        #expect(patch.code == "item_has_stock")
        try fixture.expectLedgerConsistent()
    }

    @Test func twoServerInstances_adjustingAndTransferringOneItem_neverOversell() throws {
        let first = try TestApp()
        // The second instance's bootstrap rotates the admin key: both use the new one.
        let second = try TestApp(databaseURL: first.databaseURL)
        let fixture = StockFixture(first, adminKey: second.adminKey)
        let item = try fixture.item("CC-3")
        let main = try fixture.warehouse("TWO-A")
        let east = try fixture.warehouse("TWO-B")
        try fixture.stock(item, main, "20")
        let tally = Tally()

        concurrently(50) { index in
            let client = (index % 2 == 0 ? first : second).client(key: second.adminKey)
            let reply: APIClient.Reply
            do {
                if index % 4 < 2 {
                    reply = try fixture.adjust(item, main, delta: "-1", client: client)
                } else {
                    reply = try client.post(
                        "/stock/transfers",
                        #"{"item_id":"\#(item)","from_warehouse_id":"\#(main)","to_warehouse_id":"\#(east)","quantity":1}"#
                    )
                }
            } catch {
                tally.add("error \(error)")
                return
            }
            switch (reply.status, reply.code) {
            case (201, _): tally.add(index % 4 < 2 ? "adjusted" : "transferred")
            case (409, "insufficient_stock"): tally.add("short")
            default: tally.add("error \(reply)")
            }
        }
        #expect(tally["adjusted"] + tally["transferred"] == 20, "outcomes: \(tally.all)")
        #expect(tally["short"] == 30, "outcomes: \(tally.all)")
        #expect(try StockLedger.balance(first.databaseURL, item: item, warehouse: main)?.onHand == "0.000")
        #expect(
            try StockLedger.balance(first.databaseURL, item: item, warehouse: east)?.onHand
                == "\(tally["transferred"]).000")
        try fixture.expectLedgerConsistent()
        second.stop()
    }
}

extension ExactDecimal {
    /// The value as PostgreSQL prints a numeric(18,3): always three places.
    var postgresText3: String {
        let magnitude = thousandths.magnitude
        let fraction = String(magnitude % 1000)
        return (thousandths < 0 ? "-" : "") + "\(magnitude / 1000)." + String(repeating: "0", count: 3 - fraction.count)
            + fraction
    }
}
