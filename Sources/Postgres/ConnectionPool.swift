import Core
import FoundationEssentials
import Glibc
import Logging

/// A fixed-size pool of connections. Checkout waits at most `checkoutTimeout` (then
/// `poolExhausted`, a 503); broken connections are discarded and replaced on demand, so the
/// pool recovers by itself when the database comes back.
public final class ConnectionPool: @unchecked Sendable {
    public struct Options: Sendable {
        public var size: Int
        public var checkoutTimeout: Double
        public var statementTimeoutMilliseconds: Int
        /// Times a transaction is run again after a serialization failure or deadlock.
        public var maxTransactionRetries: Int
        /// Every connection refuses writes (`default_transaction_read_only`): a replica's pool.
        public var readOnly: Bool

        public init(
            size: Int = 16, checkoutTimeout: Double = 5, statementTimeoutMilliseconds: Int = 30_000,
            maxTransactionRetries: Int = 5, readOnly: Bool = false
        ) {
            self.size = size
            self.checkoutTimeout = checkoutTimeout
            self.statementTimeoutMilliseconds = statementTimeoutMilliseconds
            self.maxTransactionRetries = maxTransactionRetries
            self.readOnly = readOnly
        }
    }

    public let connectionString: String
    public let options: Options
    private let logger: Logger
    /// Set when read replicas serve this primary: a request's commit then also reads the WAL
    /// position it reached (in the same round trip), for its `Concord-Consistency` token.
    public internal(set) var recordsCommitPositions = false

    /// Guards `idle`, `open`, `waiting`, `waits`.
    private let poolLock = Condition()
    private var idle: [PostgresConnection] = []
    private var open = 0
    private var waiting = 0
    private var waits = 0

    public init(connectionString: String, options: Options = Options(), logger: Logger) {
        self.connectionString = connectionString
        self.options = options
        self.logger = logger
    }

    /// Connections checked out now.
    public var inUse: Int {
        poolLock.lock()
        defer { poolLock.unlock() }
        return open - idle.count
    }

    /// Guards `retried`.
    private let retryLock = Lock()
    private var retried: [SQLState: Int] = [:]

    /// Transactions run again since the pool was made, by the SQLSTATE that caused the retry
    /// (`.deadlockDetected`, `.serializationFailure`, stale statements). The retry hides a
    /// deadlock from the client; this count keeps a lock-ordering mistake visible.
    public func retries(_ state: SQLState) -> Int {
        retryLock.lock()
        defer { retryLock.unlock() }
        return retried[state] ?? 0
    }

    /// Callers waiting for a connection now.
    public var waitingCount: Int {
        poolLock.lock()
        defer { poolLock.unlock() }
        return waiting
    }

    /// Checkouts so far that found every connection in use and had to wait (a total).
    public var waitsTotal: Int {
        poolLock.lock()
        defer { poolLock.unlock() }
        return waits
    }

    /// Lends a connection to `body` and takes it back. The connection returns to the pool only
    /// when libpq says it is idle; otherwise it is rolled back, or discarded if that fails.
    public func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let connection = try checkout()
        defer { checkin(connection) }
        return try body(connection)
    }

    /// Runs `body` in a transaction: commit on return, rollback on throw. A serialization
    /// failure (40001), deadlock (40P01) or stale prepared statement (a migration from another
    /// instance changed a table under it) runs `body` again, up to `maxTransactionRetries`
    /// times with a short random pause, so `body` must not have effects outside the database.
    ///
    /// Nested calls on the same thread join the running transaction instead of opening another,
    /// so a request-wide transaction (the idempotency record and the work it covers) commits as
    /// one; retries then happen at the outermost level.
    public func transaction<T>(_ body: (Transaction) throws -> T) throws -> T {
        try transaction(readOnly: false, body)
    }

    /// True when this thread serves a request whose plain reads of this pool go to a read
    /// replica: a read path that would write something on the side (a cache) must not, since
    /// its writes would reach the primary and take the rest of the request off the replica.
    public var readsFromReplica: Bool {
        guard let reads = RequestReads.current else { return false }
        return reads.replica != nil && reads.replicas.primary === self
    }

    /// A read of several statements that must agree: one read-only transaction, on the request's
    /// replica when it reads from one (see `RequestReads`), else on this pool. Inside a running
    /// transaction on this thread, joins it.
    public func snapshot<T>(_ body: (Transaction) throws -> T) throws -> T {
        if let ambient = ambientTransaction() { return try body(ambient) }
        if let reads = RequestReads.current,
            let result = try reads.onReplica(of: self, { try $0.transaction(readOnly: true, body) })
        {
            return result
        }
        return try transaction(readOnly: true, body)
    }

    private func transaction<T>(readOnly: Bool, _ body: (Transaction) throws -> T) throws -> T {
        if let ambient = ambientTransaction() { return try body(ambient) }
        var attempt = 0
        var staleRetried = false
        while true {
            var begun = false
            do {
                return try withConnection { connection in
                    try connection.execute(unsafeText: readOnly ? "BEGIN READ ONLY" : "BEGIN")
                    begun = true
                    connection.commitWork = readOnly ? nil : []
                    defer { connection.commitWork = nil }
                    do {
                        let transaction = Transaction(connection: connection)
                        setAmbient(transaction)
                        defer { setAmbient(nil) }
                        let result = try body(transaction)
                        try transaction.runCommitWork()
                        if !readOnly, recordsCommitPositions, let reads = RequestReads.current,
                            reads.replicas.primary === self
                        {
                            // The commit and the position it reached, in one round trip (the
                            // insert position: past the commit record even when commits are
                            // asynchronous); reads after a write see it, so they leave the replica.
                            let lsn = try connection.simpleQuery(
                                unsafeText: "COMMIT; SELECT pg_current_wal_insert_lsn()::text AS lsn"
                            ).first?.decode("lsn", as: String.self)
                            reads.committed = lsn.flatMap(WALPosition.init) ?? reads.committed
                            reads.replica = nil
                        } else {
                            try connection.execute(unsafeText: "COMMIT")
                        }
                        return result
                    } catch {
                        if connection.isOpen { try? connection.execute(unsafeText: "ROLLBACK") }
                        throw error
                    }
                }
            } catch let error as PostgresError {
                if case .unavailable = error, !begun, !staleRetried {
                    // A pooled connection that died while idle (the server restarted) fails at
                    // BEGIN, before anything ran: one fresh connection is worth a try.
                    staleRetried = true
                    continue
                }
                guard error.isRetryable, let state = error.state, attempt < options.maxTransactionRetries else {
                    throw error
                }
                attempt += 1
                retryLock.lock()
                retried[state, default: 0] += 1
                retryLock.unlock()
                logger.debug(
                    "retrying transaction", metadata: ["sqlstate": "\(state)", "attempt": .stringConvertible(attempt)])
                usleep(UInt32.random(in: 1_000...UInt32(5_000 * attempt)))
            }
        }
    }

    /// Runs `body` on a pooled connection without BEGIN/COMMIT, so a single-statement read costs
    /// one round trip instead of three. Each statement commits on its own and sees its own
    /// snapshot: use `transaction` whenever several statements must agree. Inside a running
    /// transaction on this thread, joins it.
    public func read<T>(_ body: (Transaction) throws -> T) throws -> T {
        if let ambient = ambientTransaction() { return try body(ambient) }
        if let reads = RequestReads.current, let result = try reads.onReplica(of: self, { try $0.read(body) }) {
            return result
        }
        do {
            return try withConnection { try body(Transaction(connection: $0)) }
        } catch PostgresError.unavailable {
            // A pooled connection that died while idle (the server restarted): one retry on a
            // fresh connection, as `transaction` does at BEGIN.
            return try withConnection { try body(Transaction(connection: $0)) }
        }
    }

    /// The transaction this thread is running on this pool, if any.
    private func ambientTransaction() -> Transaction? {
        guard let pointer = pthread_getspecific(Self.ambientSlot) else { return nil }
        var box: AmbientBox? = Unmanaged<AmbientBox>.fromOpaque(pointer).takeUnretainedValue()
        while let current = box {
            if current.pool === self { return current.transaction }
            box = current.previous
        }
        return nil
    }

    /// Pushes (or, with nil, pops) this thread's innermost running transaction.
    private func setAmbient(_ transaction: Transaction?) {
        let top = pthread_getspecific(Self.ambientSlot).map { Unmanaged<AmbientBox>.fromOpaque($0) }
        if let transaction {
            let box = AmbientBox(pool: self, transaction: transaction, previous: top?.takeUnretainedValue())
            pthread_setspecific(Self.ambientSlot, Unmanaged.passRetained(box).toOpaque())
        } else if let top {
            let previous = top.takeUnretainedValue().previous
            top.release()
            pthread_setspecific(Self.ambientSlot, previous.map { Unmanaged.passUnretained($0).toOpaque() })
        }
    }

    /// A thread-local slot (cheaper than `Thread.threadDictionary`, consulted on every query
    /// path) holding a stack of boxes: one per pool with a transaction running on this thread.
    private static let ambientSlot: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// True when a connection can run `SELECT 1` right now.
    public func ping() -> Bool {
        (try? withConnection { try $0.query("SELECT 1") }) != nil
    }

    /// Closes idle connections (at shutdown).
    public func close() {
        poolLock.lock()
        let closing = idle
        idle = []
        open -= closing.count
        poolLock.unlock()
        for connection in closing { connection.close() }
    }

    private func checkout() throws -> PostgresConnection {
        let deadline = Condition.Deadline.after(seconds: options.checkoutTimeout)
        var waited = false
        poolLock.lock()
        while true {
            if let connection = idle.popLast() {
                poolLock.unlock()
                if connection.isOpen { return connection }
                discard(connection)
                poolLock.lock()
                continue
            }
            if open < options.size {
                open += 1
                poolLock.unlock()
                do {
                    return try PostgresConnection(
                        connectionString: connectionString,
                        statementTimeoutMilliseconds: options.statementTimeoutMilliseconds,
                        applicationName: options.readOnly ? "concord-read" : "concord", readOnly: options.readOnly)
                } catch {
                    poolLock.lock()
                    open -= 1
                    poolLock.signal()
                    poolLock.unlock()
                    throw error
                }
            }
            if !waited {
                waited = true
                waits += 1
            }
            waiting += 1
            let signalled = poolLock.wait(until: deadline)
            waiting -= 1
            if !signalled && idle.isEmpty && open >= options.size {
                poolLock.unlock()
                throw PostgresError.poolExhausted
            }
        }
    }

    private func checkin(_ connection: PostgresConnection) {
        if !connection.isIdle, connection.isOpen {
            try? connection.execute(unsafeText: "ROLLBACK")
        }
        guard connection.isIdle else {
            discard(connection)
            return
        }
        poolLock.lock()
        idle.append(connection)
        poolLock.signal()
        poolLock.unlock()
    }

    private func discard(_ connection: PostgresConnection) {
        connection.close()
        poolLock.lock()
        open -= 1
        poolLock.signal()
        poolLock.unlock()
    }
}

private final class AmbientBox {
    unowned let pool: ConnectionPool
    let transaction: Transaction
    let previous: AmbientBox?
    init(pool: ConnectionPool, transaction: Transaction, previous: AmbientBox?) {
        self.pool = pool
        self.transaction = transaction
        self.previous = previous
    }
}
