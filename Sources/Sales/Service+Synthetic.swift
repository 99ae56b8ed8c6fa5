import Core
import FoundationEssentials
import Postgres

/// `concord seed --shipped-lines N`: shipped orders for the margin, KPI and RFM benchmarks.
extension SalesService {
    /// There is no active customer in `currency` to send synthetic orders to.
    public struct NoCustomersToSeed: Error, CustomStringConvertible {
        public var description: String { "shipped lines need customers: seed some first (--customers N)" }
    }

    /// Adds `lines` shipped order lines (two per order, so `lines` rounded up to even) spread
    /// over every active customer in `currency`, in batches, in one transaction; a second run
    /// continues the series. The rows are written straight to the tables (see
    /// `SalesStore.insertSyntheticShipped`). `progress` hears the running total of lines.
    public func seedShipped(
        lines: Int, currency: String, batchOrders: Int = 50_000, progress: (Int) -> Void = { _ in }
    ) throws -> Int {
        precondition(lines >= 0 && batchOrders > 0)
        let orders = Int64((lines + 1) / 2)
        let made = try pool.transaction { tx -> Int in
            let warehouse = try store.ensureSyntheticCatalog(currency: currency, in: tx)
            let customers = try store.syntheticCustomerCount(in: tx)
            guard customers > 0 else { throw NoCustomersToSeed() }
            let start = try store.syntheticOrderCount(in: tx)
            var done: Int64 = 0
            var made = 0
            while done < orders {
                let first = start + done + 1
                let last = first + min(Int64(batchOrders), orders - done) - 1
                made += try store.insertSyntheticShipped(
                    from: first, through: last, customers: customers, warehouse: warehouse, currency: currency, in: tx)
                done = last - start
                progress(made)
            }
            return made
        }
        try pool.transaction { tx in try store.analyzeShipped(in: tx) }
        return made
    }
}
