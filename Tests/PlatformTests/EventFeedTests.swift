import Core
import Foundation
import Logging
import Platform
import Postgres
import Routing
import Synchronization
import TestSupport
import Testing

/// The outbox feed follows commit order: a reader polling `after=N` never misses an event whose
/// transaction committed after a later-started one.
@Suite struct EventFeedTests {
    @Test func pollerNeverSkipsEvents_whenCommitsArriveLateAndOutOfOrder() throws {
        let url = try TestCluster.freshDatabase()
        let logger = Logger(label: "test")
        let pool = ConnectionPool(connectionString: url, options: .init(size: 12), logger: logger)
        defer { pool.close() }
        let events = EventLog(pool: pool, logger: logger)
        events.startPublisher(interval: 0.005)
        defer { events.stopPublisher() }

        let writers = 8, perWriter = 15
        let written = Mutex<Set<UUID>>([])
        let done = Atomic<Int>(0)
        let seen = Mutex<[(Int64, UUID)]>([])

        let failures = Mutex<[String]>([])
        let poller = Thread {
            var after: Int64 = 0
            // A deadline, so a poller that never sees the last event fails the test instead of hanging it.
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                let finished = done.load(ordering: .acquiring) == writers
                do {
                    let page = try events.feed(after: after, types: [], limit: 50)
                    for event in page {
                        seen.withLock { $0.append((event.sequence!, event.resourceId)) }
                        after = event.sequence!
                    }
                    // Done when every writer has finished, every event is numbered and read.
                    if finished && page.isEmpty,
                        try TestSQL.scalar(url, "SELECT count(*) FROM events WHERE sequence IS NULL") == "0",
                        try events.feed(after: after, types: [], limit: 1).isEmpty
                    {
                        return
                    }
                } catch {
                    failures.withLock { $0.append("poller: \(error)") }
                    return
                }
                usleep(1_000)
            }
            failures.withLock { $0.append("poller: not finished within its deadline") }
        }
        poller.start()

        concurrently(writers) { writer in
            for index in 0..<perWriter {
                let id = UUID()
                do {
                    try pool.transaction { tx in
                        try events.append(
                            "test.happened", resourceType: "test", resourceID: id,
                            data: .object(
                                JSONObject([("writer", .number("\(writer)")), ("index", .number("\(index)"))])),
                            actor: nil, in: tx)
                        // Hold the transaction open a random while, so sequence-at-insert order and
                        // commit order disagree.
                        usleep(UInt32.random(in: 0...40_000))
                    }
                    written.withLock { _ = $0.insert(id) }
                } catch {
                    failures.withLock { $0.append("writer \(writer): \(error)") }
                }
            }
            done.add(1, ordering: .releasing)
        }
        while !poller.isFinished { usleep(10_000) }
        #expect(failures.withLock { $0 } == [])

        let observed = seen.withLock { $0 }
        let expected = written.withLock { $0 }
        #expect(observed.count == writers * perWriter)
        #expect(
            Set(observed.map(\.1)) == expected,
            "the poller missed \(expected.subtracting(observed.map(\.1)).count) events")
        #expect(observed.map(\.0) == observed.map(\.0).sorted())
        #expect(Set(observed.map(\.0)).count == observed.count)
    }

    @Test func feed_filtersByType_andPagesWithAfter() throws {
        let app = try TestApp()
        let admin = app.client()
        for index in 0..<3 {
            _ = try admin.post("/users", #"{"name":"U\#(index)","email":"u\#(index)@example.com","role":"sales"}"#)
        }
        // Events are numbered shortly after commit; an integrator polls until they show.
        #expect(try eventually { try admin.get("/events?types=user.created")["data"]?.arrayValue?.count == 3 })
        let users = try admin.get("/events?types=user.created&limit=2")
        #expect(users["data"]?.arrayValue?.count == 2)
        let next = try #require(users["next_after"]?.numberText)
        let rest = try admin.get("/events?types=user.created&after=\(next)")
        #expect(rest["data"]?.arrayValue?.count == 1)
        #expect(try admin.get("/events?after=-1").status == 400)
    }
}
