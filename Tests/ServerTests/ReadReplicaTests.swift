import App
import Foundation
import Postgres
import TestSupport
import Testing

/// Reads from a real streaming standby (`DATABASE_READ_URL`), with read-your-writes, lag and
/// failure handling. Each test makes its own primary and standby (`ReplicaPair`).
@Suite(.serialized) struct ReadReplicaTests {
    static func start(
        _ pair: ReplicaPair, maxLag: Int = 60_000, readYourWrites: Int = 2_000
    ) throws -> TestApp {
        let app = try TestApp(databaseURL: pair.primaryURL) { configuration in
            configuration.databaseReadURLs = [pair.standbyURL]
            configuration.replicaCheckInterval = 0.05
            configuration.replicaMaxLagMilliseconds = maxLag
            configuration.readYourWritesMilliseconds = readYourWrites
        }
        try eventually("the replica comes into rotation") { replica(app).state == .healthy }
        return app
    }

    static func replica(_ app: TestApp) -> ReadReplicas.Replica { app.server.replicas!.replicas[0] }

    /// Polls `condition` every 20 ms for up to `timeout` seconds.
    static func eventually(_ what: String, timeout: Double = 20, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return }
            usleep(20_000)
        }
        throw TestFailure("timed out waiting until \(what)")
    }

    static func names(_ reply: APIClient.Reply) -> [String] {
        reply["data"]?.arrayValue?.compactMap { $0.objectValue?["name"]?.stringValue } ?? []
    }

    @Test func pausedReplay_hidesANewRecordFromOthers_butNotWithTheTokenNorFromItsWriter() throws {
        let pair = try ReplicaPair()
        defer { pair.destroy() }
        let app = try Self.start(pair)
        defer { app.stop() }
        let other = app.client(key: try app.key(forRole: "sales"))
        let writer = app.client()
        try pair.waitForReplay()
        #expect(try other.get("/customers").status == 200)

        try pair.pauseReplay()
        let created = try writer.post("/customers", #"{"name":"Replica Lag Ltd"}"#)
        #expect(created.status == 201)
        let token = try #require(created.header("Concord-Consistency"))
        #expect(WALPosition(token) != nil)

        let readsBefore = Self.replica(app).reads
        let stale = try other.get("/customers")
        #expect(stale.status == 200)
        #expect(!Self.names(stale).contains("Replica Lag Ltd"), "another key without a token reads the replica")
        #expect(Self.replica(app).reads > readsBefore, "that list was served by the replica")

        let withToken = try other.get("/customers", headers: [("Concord-Consistency", token)])
        #expect(Self.names(withToken).contains("Replica Lag Ltd"), "the token sends the read to the primary")
        let own = try writer.get("/customers")
        #expect(Self.names(own).contains("Replica Lag Ltd"), "the writer's key reads the primary right after")
        // A single record always reads the primary.
        let id = try #require(created["id"]?.stringValue)
        #expect(try other.get("/customers/\(id)").status == 200)

        try pair.resumeReplay()
        try pair.waitForReplay()
        #expect(Self.names(try other.get("/customers")).contains("Replica Lag Ltd"))
        let caughtUp = try other.get("/customers", headers: [("Concord-Consistency", token)])
        #expect(Self.names(caughtUp).contains("Replica Lag Ltd"))
    }

    @Test func readYourWrites_windowEnds_thenTheKeyReadsTheReplicaAgain() throws {
        let pair = try ReplicaPair()
        defer { pair.destroy() }
        let app = try Self.start(pair, readYourWrites: 300)
        defer { app.stop() }
        let writer = app.client()
        try pair.pauseReplay()
        #expect(try writer.post("/customers", #"{"name":"Window Co"}"#).status == 201)
        #expect(Self.names(try writer.get("/customers")).contains("Window Co"))
        usleep(400_000)
        #expect(!Self.names(try writer.get("/customers")).contains("Window Co"), "after the window: the replica")
        try pair.resumeReplay()
    }

    @Test func badToken_isA400_withItsCode() throws {
        let pair = try ReplicaPair()
        defer { pair.destroy() }
        let app = try Self.start(pair)
        defer { app.stop() }
        let reply = try app.client().get("/customers", headers: [("Concord-Consistency", "not-a-position")])
        #expect(reply.status == 400)
        #expect(reply.code == "invalid_consistency_token")
        #expect(try app.client().get("/problems/invalid-consistency-token").status == 200)
    }

    @Test func writes_neverRunOnAReplicaConnection() throws {
        let pair = try ReplicaPair()
        defer { pair.destroy() }
        let app = try Self.start(pair)
        defer { app.stop() }
        let replicas = try #require(app.server.replicas)
        let pool = try #require(app.server.pool)
        let replica = try #require(replicas.choose())
        let reads = RequestReads(replicas: replicas, replica: replica)
        try reads.run {
            let onReplica = try pool.read {
                try $0.first("SELECT pg_is_in_recovery() AS r")?.decode("r", as: Bool.self)
            }
            #expect(onReplica == true, "a routed read runs on the standby")
            let inWrite = try pool.transaction { tx in
                try tx.execute("CREATE TEMPORARY TABLE scratch (n int)")
                return try tx.first("SELECT pg_is_in_recovery() AS r")?.decode("r", as: Bool.self)
            }
            #expect(inWrite == false, "a transaction runs on the primary, even in a routed request")
            let after = try pool.read { try $0.first("SELECT pg_is_in_recovery() AS r")?.decode("r", as: Bool.self) }
            #expect(after == false, "reads after a write stay on the primary")
        }
        #expect(reads.committed != nil)

        // A replica's own connections refuse writes even where the server would take them.
        let readOnly = ConnectionPool(
            connectionString: pair.primaryURL, options: .init(size: 1, readOnly: true), logger: .init(label: "t"))
        defer { readOnly.close() }
        #expect(throws: PostgresError.self) {
            try readOnly.transaction { try $0.execute("CREATE TEMPORARY TABLE scratch (n int)") }
        }

        // With replay paused, every kind of write still succeeds (none lands on the standby).
        try pair.pauseReplay()
        let client = app.client()
        let customer = try client.post("/customers", #"{"name":"Writer Ltd"}"#)
        #expect(customer.status == 201)
        let id = try #require(customer["id"]?.stringValue)
        let etag = try #require(customer.header("ETag"))
        #expect(try client.patch("/customers/\(id)", #"{"tier":"gold"}"#, headers: [("If-Match", etag)]).status == 200)
        #expect(try client.post("/leads", #"{"name":"Lee","company":"Lee Co"}"#).status == 201)
        try pair.resumeReplay()
    }

    @Test func stoppingTheStandbyMidRun_losesNoRequest_andItRejoinsAfterRestart() throws {
        let pair = try ReplicaPair()
        defer { pair.destroy() }
        let app = try Self.start(pair)
        defer { app.stop() }
        let key = try app.key(forRole: "sales")
        let failures = Failures()
        let running = Flag()
        let threads = (0..<3).map { _ in
            Thread {
                let client = app.client(key: key)
                while running.isSet {
                    do {
                        let reply = try client.get("/customers?limit=5")
                        if reply.status != 200 { failures.add("\(reply.status) \(reply.text)") }
                    } catch {
                        failures.add("\(error)")
                    }
                }
            }
        }
        running.set(true)
        threads.forEach { $0.start() }
        try Self.eventually("the replica serves the lists") { Self.replica(app).reads > 10 }
        pair.standby.stop()
        try Self.eventually("the replica leaves the rotation") { Self.replica(app).state == .unreachable }
        usleep(300_000)
        _ = try pair.standby.start()
        try Self.eventually("the replica rejoins") { Self.replica(app).state == .healthy }
        let readsAfter = Self.replica(app).reads
        usleep(300_000)
        running.set(false)
        usleep(200_000)
        #expect(failures.all.isEmpty, "\(failures.all.prefix(3))")
        #expect(Self.replica(app).reads > readsAfter, "the replica serves reads again")
        #expect(try app.client().get("/readyz").status == 200)
    }

    @Test func lagPastTheLimit_takesTheReplicaOut_andMetricsShowIt() throws {
        let pair = try ReplicaPair()
        defer { pair.destroy() }
        let app = try Self.start(pair, maxLag: 300)
        defer { app.stop() }
        let client = app.client()
        try pair.pauseReplay()
        #expect(try client.post("/customers", #"{"name":"Lagging Ltd"}"#).status == 201)
        try Self.eventually("the replica is found lagging") { Self.replica(app).state == .lagging }
        let metrics = try client.get("/metrics").text
        #expect(metrics.contains(#"concord_db_replica_up{replica="1"} 0"#))
        #expect(metrics.contains(#"concord_db_replica_state{replica="1",state="lagging"} 1"#))
        let lag = metrics.split(separator: "\n").first { $0.hasPrefix(#"concord_db_replica_lag_seconds{replica="1"}"#) }
        #expect((lag?.split(separator: " ").last).flatMap { Double($0) } ?? 0 > 0.3)
        #expect(try client.get("/readyz").status == 200, "a lagging replica leaves the instance ready")
        // Lists are served (by the primary) and are current.
        let other = app.client(key: try app.key(forRole: "sales"))
        #expect(Self.names(try other.get("/customers")).contains("Lagging Ltd"))

        try pair.resumeReplay()
        try Self.eventually("the replica is back in rotation") { Self.replica(app).state == .healthy }
        #expect(try client.get("/metrics").text.contains(#"concord_db_replica_up{replica="1"} 1"#))
    }

    @Test func replicaRoutes_areGETRoutes_andOpenAPIMarksExactlyThem() throws {
        let pair = try ReplicaPair()
        defer { pair.destroy() }
        let app = try Self.start(pair)
        defer { app.stop() }
        let routes = Set(app.server.routes)
        for entry in ReadRoutes.replicaRoutes {
            #expect(routes.contains(entry), "\(entry) is not a route")
            #expect(entry.hasPrefix("GET "))
        }
        let document = try String(
            contentsOf: TestCluster.repositoryRoot.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        var marked: [String] = []
        var path = ""
        var method = ""
        for line in document.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  /"), line.hasSuffix(":") { path = String(line.dropFirst(2).dropLast()) }
            if line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                method = line.trimmingCharacters(in: .whitespaces).dropLast().uppercased()
            }
            if line.trimmingCharacters(in: .whitespaces) == "x-concord-read-replica: true" {
                marked.append("\(method) \(path)")
            }
        }
        #expect(marked.sorted() == ReadRoutes.replicaRoutes.sorted())
    }
}

/// Failures collected from several threads.
final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func add(_ failure: String) { lock.withLock { list.append(failure) } }
    var all: [String] { lock.withLock { list } }
}

/// A flag shared between threads.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set(_ newValue: Bool) { lock.withLock { value = newValue } }
    var isSet: Bool { lock.withLock { value } }
}
