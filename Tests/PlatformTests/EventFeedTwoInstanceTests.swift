import Foundation
import TestSupport
import Testing

/// `GET /events` over HTTP while two server instances on one database write at once: a reader
/// that polls `after=` alternately through both sees every event once, in sequence order.
@Suite struct EventFeedTwoInstanceTests {
    @Test func pollingBothInstances_whileBothWrite_seesEveryEventOnce_inOrder() throws {
        let first = try TestApp()
        // The second instance's bootstrap rotates the admin key: both use the new one.
        let second = try TestApp(databaseURL: first.databaseURL)
        defer { second.stop() }
        let key = second.adminKey
        let ports = [first.port, second.port]
        let writers = 8, perWriter = 10
        let created = Locked<Set<String>>([])
        let seen = Locked<[(sequence: Int64, resource: String)]>([])
        let failures = Locked<[String]>([])
        let writing = Locked(writers)

        let reader = Thread {
            let clients = ports.map { APIClient(port: $0, key: key) }
            var after: Int64 = 0
            var turn = 0
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                let stillWriting = writing.withLock { $0 } > 0
                do {
                    turn += 1
                    let reply = try clients[turn % 2].get("/events?after=\(after)&types=customer.created&limit=50")
                    guard reply.status == 200, let page = reply["data"]?.arrayValue else {
                        failures.withLock { $0.append("feed: \(reply)") }
                        return
                    }
                    for event in page {
                        guard let sequence = event["sequence"]?.int64Value, let id = event["data"]?["id"]?.stringValue
                        else {
                            failures.withLock { $0.append("event without sequence or data: \(event)") }
                            return
                        }
                        seen.withLock { $0.append((sequence, id)) }
                        after = sequence
                    }
                    if !stillWriting && page.isEmpty {
                        let expected = created.withLock { $0 }
                        if Set(seen.withLock { $0.map(\.resource) }).isSuperset(of: expected) { return }
                    }
                } catch {
                    failures.withLock { $0.append("feed: \(error)") }
                    return
                }
                usleep(2_000)
            }
            failures.withLock { $0.append("the reader did not see every event within its deadline") }
        }
        reader.start()

        concurrently(writers) { writer in
            let client = APIClient(port: ports[writer % 2], key: key)
            for index in 0..<perWriter {
                do {
                    let reply = try client.post("/customers", #"{"name":"Feed \#(writer)-\#(index)"}"#)
                    if reply.status == 201, let id = reply["id"]?.stringValue {
                        created.withLock { _ = $0.insert(id) }
                    } else {
                        failures.withLock { $0.append("create: \(reply)") }
                    }
                } catch {
                    failures.withLock { $0.append("create: \(error)") }
                }
            }
            writing.withLock { $0 -= 1 }
        }
        #expect(eventually(timeout: 90) { reader.isFinished }, "the reader is stuck")
        #expect(failures.withLock { $0 } == [])
        let observed = seen.withLock { $0 }
        let expected = created.withLock { $0 }
        #expect(expected.count == writers * perWriter)
        #expect(observed.count == expected.count, "each event once")
        #expect(Set(observed.map(\.resource)) == expected)
        #expect(observed.map(\.sequence) == observed.map(\.sequence).sorted())
        #expect(Set(observed.map(\.sequence)).count == observed.count)
    }
}
