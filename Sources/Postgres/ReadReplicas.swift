import Core
import FoundationEssentials
import Glibc
import Logging
import Synchronization

/// A position in the write-ahead log (`pg_lsn`), written `16/B374D848`: the commit position a
/// `Concord-Consistency` token carries and the replay position a replica reports.
public struct WALPosition: Comparable, Hashable, Sendable, CustomStringConvertible {
    public let value: UInt64

    public init(value: UInt64) { self.value = value }

    /// Parses `X/Y` (two hexadecimal halves of at most 8 digits each); nil otherwise.
    public init?(_ text: String) {
        let halves = text.split(separator: "/", omittingEmptySubsequences: false)
        guard halves.count == 2, (1...8).contains(halves[0].count), (1...8).contains(halves[1].count),
            let high = UInt64(halves[0], radix: 16), let low = UInt64(halves[1], radix: 16)
        else { return nil }
        value = high << 32 | low
    }

    public var description: String {
        String(value >> 32, radix: 16, uppercase: true) + "/" + String(value & 0xFFFF_FFFF, radix: 16, uppercase: true)
    }

    public static func < (lhs: WALPosition, rhs: WALPosition) -> Bool { lhs.value < rhs.value }
}

/// Streaming replicas that serve reads which may lag (`DATABASE_READ_URL`). Each has its own
/// read-only pool; a background check compares its replay position with the primary's and
/// takes it out of rotation while it is unreachable or further behind than `maxLag`, and back
/// once healthy. Which reads go to a replica is decided per request (`RequestReads`); writes
/// never do: `ConnectionPool.transaction` always runs on the primary.
public final class ReadReplicas: @unchecked Sendable {
    public struct Options: Sendable {
        /// A replica further behind than this leaves the rotation.
        public var maxLagMilliseconds: Int
        /// Time between two health checks.
        public var checkInterval: Double
        /// Connections per replica.
        public var poolSize: Int

        public init(maxLagMilliseconds: Int = 5_000, checkInterval: Double = 1, poolSize: Int = 16) {
            self.maxLagMilliseconds = maxLagMilliseconds
            self.checkInterval = checkInterval
            self.poolSize = poolSize
        }
    }

    /// Where a replica stands after its last check (or failed read).
    public enum State: String, Sendable {
        /// Reachable and within the lag limit: serves reads.
        case healthy
        /// Reachable but further behind than the limit.
        case lagging
        /// No connection could be made, or a read on it failed.
        case unreachable
    }

    /// One replica: its pool and what the last check found.
    public final class Replica: @unchecked Sendable {
        /// Its label in `/metrics` and logs: `replica="1"` for the first URL, and so on.
        public let name: String
        public let pool: ConnectionPool
        private let lock = Lock()
        private var _state = State.unreachable
        private var _lag = 0.0
        private var _replayed: WALPosition?
        private var _reads = 0

        init(name: String, pool: ConnectionPool) {
            self.name = name
            self.pool = pool
        }

        public var state: State { lock.withLock { _state } }
        /// Seconds behind the primary at the last check.
        public var lagSeconds: Double { lock.withLock { _lag } }
        /// The replay position seen last.
        public var replayed: WALPosition? { lock.withLock { _replayed } }
        /// Reads served so far.
        public var reads: Int { lock.withLock { _reads } }

        func record(state: State, lag: Double, replayed: WALPosition?) {
            lock.withLock {
                _state = state
                _lag = lag
                if let replayed { _replayed = replayed }
            }
        }

        func counted() { lock.withLock { _reads += 1 } }

        func markUnreachable() { lock.withLock { _state = .unreachable } }

        /// Asks the replica how far it has replayed (its own position when it is not a standby).
        func replayPosition() throws -> WALPosition? {
            try pool.withConnection { connection in
                try connection.query(
                    """
                    SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() \
                    ELSE pg_current_wal_insert_lsn() END)::text AS lsn
                    """
                ).first?.decodeIfPresent("lsn", as: String.self).flatMap(WALPosition.init)
            }
        }
    }

    public let primary: ConnectionPool
    public let replicas: [Replica]
    public let options: Options
    private let logger: Logger
    /// Guards `samples` and `stopping`.
    private let lock = Condition()
    /// The primary's position at recent checks, oldest first: a replica's lag is the time since
    /// the first of them it has not replayed.
    private var samples: [(time: Double, position: WALPosition)] = []
    private var stopping = false
    private var _fallbacks = 0

    public init(primary: ConnectionPool, connectionStrings: [String], options: Options = Options(), logger: Logger) {
        self.primary = primary
        self.options = options
        self.logger = logger
        replicas = connectionStrings.enumerated().map { index, url in
            Replica(
                name: "\(index + 1)",
                pool: ConnectionPool(
                    connectionString: url,
                    options: .init(
                        size: options.poolSize, checkoutTimeout: 1,
                        statementTimeoutMilliseconds: primary.options.statementTimeoutMilliseconds,
                        maxTransactionRetries: 0, readOnly: true),
                    logger: logger))
        }
        primary.recordsCommitPositions = true
    }

    /// Reads that a replica failed and the primary served instead, since start.
    public var fallbacks: Int { lock.withLock { _fallbacks } }

    func countFallback(_ replica: Replica, _ error: Error) {
        lock.withLock { _fallbacks += 1 }
        if replica.state != .unreachable {
            logger.warning(
                "read replica failed; reads go to the primary until it is healthy",
                metadata: ["replica": "\(replica.name)", "error": "\(error)"])
        }
        replica.markUnreachable()
    }

    /// A replica in rotation to read from: one that has replayed at least `position` when given
    /// (asking it afresh when the last check saw it behind), round robin among the candidates;
    /// nil means the primary.
    public func choose(replayedAtLeast position: WALPosition? = nil) -> Replica? {
        let healthy = replicas.filter { $0.state == .healthy }
        guard !healthy.isEmpty else { return nil }
        let start = next.add(1, ordering: .relaxed).newValue % healthy.count
        let ordered = healthy[start...] + healthy[..<start]
        guard let position else { return ordered.first }
        if let ready = ordered.first(where: { ($0.replayed ?? WALPosition(value: 0)) >= position }) { return ready }
        for replica in ordered {
            guard let replayed = try? replica.replayPosition() else { continue }
            replica.record(state: replica.state, lag: replica.lagSeconds, replayed: replayed)
            if replayed >= position { return replica }
        }
        return nil
    }

    private let next = Atomic<Int>(0)

    /// Starts the background checks (the first one runs before this returns, so replicas that
    /// are healthy at start serve reads at once).
    public func start() {
        check()
        BackgroundThread.start(name: "concord-replica-check") { [weak self] in
            while let self {
                let stop = self.lock.withLock { () -> Bool in
                    if !self.stopping {
                        self.lock.wait(seconds: self.options.checkInterval)
                    }
                    return self.stopping
                }
                if stop { return }
                self.check()
            }
        }
    }

    /// Stops the checks and closes the replicas' idle connections.
    public func stop() {
        lock.withLock {
            stopping = true
            lock.broadcast()
        }
        for replica in replicas { replica.pool.close() }
    }

    /// One round: the primary's position, then each replica's replay position and lag.
    public func check() {
        let now = Date().timeIntervalSince1970
        if let position = try? primary.withConnection({ connection in
            try connection.query("SELECT pg_current_wal_insert_lsn()::text AS lsn").first?.decode(
                "lsn", as: String.self)
        }).flatMap(WALPosition.init) {
            lock.withLock {
                if samples.last?.position != position { samples.append((now, position)) }
                // Enough history to tell any lag up to twice the limit.
                let horizon = now - 2 * Double(options.maxLagMilliseconds) / 1_000 - options.checkInterval
                while samples.count > 1, samples[1].time < horizon { samples.removeFirst() }
            }
        }
        for replica in replicas {
            let before = replica.state
            do {
                let replayed = try replica.replayPosition()
                let lag = lock.withLock { () -> Double in
                    guard let replayed else { return .infinity }
                    guard let behind = samples.first(where: { $0.position > replayed }) else { return 0 }
                    return max(0, now - behind.time)
                }
                let state: State = lag * 1_000 > Double(options.maxLagMilliseconds) ? .lagging : .healthy
                replica.record(state: state, lag: lag.isFinite ? lag : -1, replayed: replayed)
            } catch {
                replica.record(state: .unreachable, lag: replica.lagSeconds, replayed: nil)
            }
            let after = replica.state
            if after != before {
                logger.notice(
                    "read replica \(after == .healthy ? "in rotation" : "out of rotation")",
                    metadata: ["replica": "\(replica.name)", "state": "\(after.rawValue)"])
            }
        }
    }
}

/// What one request reads from and what it wrote, kept on the worker thread while its handler
/// runs: plain reads (`ConnectionPool.read`, `snapshot`) of `replicas.primary` go to `replica`
/// until the request commits a write; `committed` is the WAL position after its last commit.
public final class RequestReads: @unchecked Sendable {
    public let replicas: ReadReplicas
    /// Where this request's reads go; nil for the primary.
    public internal(set) var replica: ReadReplicas.Replica?
    /// The primary's WAL position after this request's last commit, if it committed.
    public internal(set) var committed: WALPosition?

    public init(replicas: ReadReplicas, replica: ReadReplicas.Replica?) {
        self.replicas = replicas
        self.replica = replica
    }

    /// Runs `body` with this routing in force on the current thread.
    public func run<T>(_ body: () throws -> T) rethrows -> T {
        let previous = pthread_getspecific(Self.slot)
        pthread_setspecific(Self.slot, Unmanaged.passUnretained(self).toOpaque())
        defer { pthread_setspecific(Self.slot, previous) }
        return try body()
    }

    /// The routing of the request this thread is running, if any.
    static var current: RequestReads? {
        pthread_getspecific(slot).map { Unmanaged<RequestReads>.fromOpaque($0).takeUnretainedValue() }
    }

    private static let slot: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Runs a read on the replica when this request reads from one, else returns nil; a replica
    /// that fails takes itself out of rotation and the read is left to the primary.
    func onReplica<T>(of pool: ConnectionPool, _ body: (ConnectionPool) throws -> T) throws -> T? {
        guard let replica, replicas.primary === pool else { return nil }
        do {
            let result = try body(replica.pool)
            replica.counted()
            return result
        } catch let error as PostgresError where error.isReplicaFailure {
            replicas.countFallback(replica, error)
            self.replica = nil
            return nil
        }
    }
}

extension PostgresError {
    /// A replica could not serve a read that the primary can: it is gone or restarting, its pool
    /// is exhausted, or recovery cancelled the query (a conflict with replay).
    var isReplicaFailure: Bool {
        switch self {
        case .unavailable, .poolExhausted: return true
        case .decoding: return false
        case .server(let error):
            return error.state == .serializationFailure || error.state == .deadlockDetected
                || error.state.rawValue.hasPrefix("57P") || error.state.isConnectionLoss
        }
    }
}
