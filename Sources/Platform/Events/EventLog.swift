import Core
import FoundationEssentials
import Glibc
import Logging
import Postgres

/// One event of the outbox feed (API.md "Conventions": every state change appends one in the
/// same transaction).
public struct Event: JSONMembers, Sendable {
    public let id: UUID
    /// Position in commit order. Every answer shows it: reads number what is pending first
    /// (`EventLog.numberCommitted`). Optional only for the rows the publisher has not reached.
    public let sequence: Int64?
    public let type: String
    public let resourceType: String
    public let resourceId: UUID
    public let occurredAt: Date
    public let actor: Actor?
    public let data: JSONValue

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("id", id)
        try object.member("sequence", sequence)
        try object.member("type", type)
        try object.member("resource_type", resourceType)
        try object.member("resource_id", resourceId)
        try object.member("occurred_at", occurredAt)
        try object.member("actor", actor)
        try object.member("data", data)
    }

    public struct Actor: JSONMembers, Sendable {
        public let userId: UUID?
        public let apiKeyId: UUID?

        public func writeMembers(to object: inout JSONMemberWriter) throws {
            try object.member("user_id", userId)
            try object.member("api_key_id", apiKeyId)
        }
    }
}

/// The outbox: append inside the writer's transaction; a publisher numbers committed events in
/// commit order; readers page through numbered events.
public final class EventLog: @unchecked Sendable {
    let pool: ConnectionPool
    let logger: Logger
    private let store = EventStore()
    private let running = Condition()
    private var stopping = false
    private let watcher = Hook<Watcher>()

    /// Sees every event its writer appends, inside the writer's transaction, after the row is
    /// written: the hook through which a higher module (Alerts) re-checks conditions about the
    /// records an event names, atomically with the change, without the writing module knowing
    /// it. What it throws rolls the writer back.
    public typealias Watcher =
        @Sendable (_ type: String, _ resourceType: String, _ resourceID: UUID, _ data: JSONValue, _ tx: Transaction)
        throws -> Void

    public init(pool: ConnectionPool, logger: Logger) {
        self.pool = pool
        self.logger = logger
    }

    /// Records that `resourceType`/`resourceID` changed; `data` is the resource as the API shows
    /// it. Call inside the transaction that made the change, so both commit or neither does.
    public func append(
        _ type: String, resourceType: String, resourceID: UUID, data: JSONValue, actor: Principal?, in tx: Transaction
    ) throws {
        try store.insert(
            type: type, resourceType: resourceType, resourceID: resourceID, data: data,
            userID: actor?.userID, apiKeyID: actor?.apiKeyID, in: tx)
        if let watch = watcher.function { try watch(type, resourceType, resourceID, data, tx) }
    }

    /// Installs the watcher (see `Watcher`). Call only while wiring.
    public func setWatcher(_ watch: @escaping Watcher) {
        watcher.install(watch)
    }

    /// Encodes `resource` and appends it, costs included whoever caused it: the feed and
    /// webhooks are for callers with the scope `all`, not for the writer's role.
    public func append<T: Encodable>(
        _ type: String, resourceType: String, resourceID: UUID, resource: T, actor: Principal?,
        in tx: Transaction
    ) throws {
        try append(
            type, resourceType: resourceType, resourceID: resourceID,
            data: try SensitiveFields.$costsVisible.withValue(true) { try JSONValueEncoder().encode(resource) },
            actor: actor, in: tx)
    }

    /// Numbers every event whose transaction is certainly over; returns how many.
    @discardableResult
    public func publish() throws -> Int {
        // One cheap read (a partial index) first: an idle instance polls every 50 ms.
        guard try pool.read({ tx in try store.hasUnpublished(in: tx) }) else { return 0 }
        return try pool.transaction { tx in try store.publish(in: tx) }
    }

    /// Numbers every event committed before this call, so a read that follows shows them with
    /// their `sequence` (the background publisher runs only every 50 ms). Numbering follows
    /// commit order, so an event behind a transaction that is still running waits for it: this
    /// waits too, at most `patience` seconds, then returns (reads leave such an event out until
    /// it is numbered, rather than show it without a number).
    public func numberCommitted(patience: Double = 1) throws {
        let (pending, horizon) = try pool.read { tx in try store.pending(in: tx) }
        guard pending else { return }
        let deadline = ProcessInfo.processInfo.systemUptime + patience
        // Backs off from 2 to 50 ms: a long transaction (a big batch, an idle session) then costs a
        // waiting read about twenty rounds, not hundreds.
        var pause: UInt32 = 2_000
        while true {
            // Another instance or thread may hold the publisher lock: then its numbering is awaited.
            _ = try pool.transaction { tx in try store.publish(in: tx) }
            guard try pool.read({ tx in try store.hasUnpublished(before: horizon, in: tx) }) else { return }
            guard ProcessInfo.processInfo.systemUptime < deadline else { return }
            usleep(pause)
            pause = min(pause * 2, 50_000)
        }
    }

    /// Events after `sequence`, oldest first, optionally of some types only.
    public func feed(after sequence: Int64, types: [String], limit: Int) throws -> [Event] {
        try numberCommitted()
        return try pool.transaction { tx in try store.feed(after: sequence, types: types, limit: limit, in: tx) }
    }

    /// The highest sequence numbered so far (0 when none): where a new subscriber starts.
    public func latestSequence() throws -> Int64 {
        _ = try? publish()
        return try pool.read { tx in try store.latestSequence(in: tx) }
    }

    /// One record's events, oldest first, every one numbered.
    public func history(resourceType: String, resourceID: UUID) throws -> [Event] {
        try numberCommitted()
        return try pool.transaction { tx in
            try store.history(resourceType: resourceType, resourceID: resourceID, in: tx)
        }
    }

    /// `GET /audit`: who changed what, when.
    func audit(_ filter: AuditFilter, page: PageRequest) throws -> Page<Event> {
        try numberCommitted()
        let rows = try pool.read { tx in try store.audit(filter, after: page.after, limit: page.limit, in: tx) }
        return page.page(rows, key: { $0.occurredAt.postgresText }, id: \.id)
    }

    /// Starts numbering events in the background every `interval` seconds.
    public func startPublisher(interval: Double = 0.05) {
        BackgroundThread.start(name: "concord-events") { [self] in
            while true {
                running.lock()
                if stopping { running.unlock(); return }
                _ = running.wait(seconds: interval)
                let stop = stopping
                running.unlock()
                if stop { return }
                do {
                    try publish()
                } catch {
                    logger.debug("event publisher waiting for the database", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    public func stopPublisher() {
        running.lock()
        stopping = true
        running.broadcast()
        running.unlock()
    }
}
