import Core
import FoundationEssentials
import Postgres

/// `concord seed --customers N`: synthetic customers for load tests and benchmarks.
extension CustomerService {
    /// The seed refuses a database that holds customers it did not make, unless forced.
    public struct RealDataPresent: Error, CustomStringConvertible {
        public var description: String {
            "the database holds customers that the synthetic seed did not make; pass --force to add synthetic ones anyway"
        }
    }

    /// Adds `count` synthetic customers in batches of `batchSize`, continuing the series of an
    /// earlier run, in one transaction: the search indexes are dropped, the rows inserted and
    /// the indexes rebuilt once (a failure anywhere leaves the table as it was). The table is
    /// locked against other writers meanwhile, so seed a database nobody is using. The rows are
    /// written straight to the table: no events, history or webhooks, as befits test data.
    /// `progress` hears the running total after each batch.
    public func seedSynthetic(
        count: Int, force: Bool, owner: SyntheticOwner? = nil, batchSize: Int = 50_000,
        progress: (Int) -> Void = { _ in }
    ) throws -> Int {
        precondition(count >= 0 && batchSize > 0)
        let made = try pool.transaction { tx -> Int in
            if !force, try store.hasCustomersNotSeeded(in: tx) { throw RealDataPresent() }
            let start = try store.lastSyntheticOrdinal(in: tx)
            let indexes = try store.dropSearchIndexes(in: tx)
            var made = 0
            while made < count {
                let first = start + Int64(made) + 1
                let last = first + Int64(min(batchSize, count - made)) - 1
                made += try store.insertSynthetic(
                    from: first, through: last, currency: defaultCurrency, owner: owner, in: tx)
                progress(made)
            }
            try store.recreate(indexes: indexes, in: tx)
            return made
        }
        try pool.transaction { tx in try store.analyze(in: tx) }
        return made
    }
}

/// `concord seed --owner EMAIL --owned K`: the user who owns every `every`-th synthetic
/// customer (for the benchmark of an `own`-scoped list).
public struct SyntheticOwner: Sendable {
    public let id: UUID
    public let every: Int

    public init(id: UUID, every: Int) {
        precondition(every >= 1)
        self.id = id
        self.every = every
    }
}
