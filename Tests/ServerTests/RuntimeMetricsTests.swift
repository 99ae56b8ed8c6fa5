import Foundation
import Postgres
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What `/metrics` tells about the process, the database pool and the work waiting in the
/// database, over real HTTP against a real PostgreSQL.
@Suite struct RuntimeMetricsTests {
    /// The scrape as `name → value` for unlabelled samples, plus each family's `# TYPE`.
    struct Scrape {
        var values: [String: Double] = [:]
        var types: [String: String] = [:]

        init(_ text: String) {
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: " ")
                if line.hasPrefix("# TYPE "), parts.count == 4 {
                    types[String(parts[2])] = String(parts[3])
                } else if !line.hasPrefix("#"), parts.count == 2, !parts[0].contains("{") {
                    values[String(parts[0])] = Double(parts[1])
                }
            }
        }
    }

    static func scrape(_ app: TestApp) throws -> Scrape {
        let reply = try app.client(key: "").get("/metrics")
        guard reply.status == 200 else { throw TestFailure("/metrics: \(reply)") }
        return Scrape(reply.text)
    }

    @Test func processFigures_areTheKernels() throws {
        let app = try TestApp()
        defer { app.stop() }
        let first = try Self.scrape(app)
        let rss = try #require(first.values["process_resident_memory_bytes"])
        #expect(rss > 1_000_000 && rss < 64_000_000_000)
        #expect(first.types["process_cpu_seconds_total"] == "counter")
        #expect(first.types["process_resident_memory_bytes"] == "gauge")
        let cpu = try #require(first.values["process_cpu_seconds_total"])
        #expect(cpu > 0)
        let started = try #require(first.values["process_start_time_seconds"])
        #expect(abs(started - Date().timeIntervalSince1970) < 24 * 3600)
        #expect(try #require(first.values["process_max_fds"]) >= 64)

        // Descriptors this process opens show up in the next scrape (the server is in-process).
        let before = try #require(first.values["process_open_fds"])
        let files = (0..<25).map { _ in open("/dev/null", O_RDONLY) }
        defer { for fd in files { close(fd) } }
        let after = try #require(try Self.scrape(app).values["process_open_fds"])
        #expect(after - before >= 20, "before \(before), after \(after)")

        // CPU time only grows, and burning some (measured in CPU time: the machine may be busy) shows.
        let spinFrom = clock()
        while Double(clock() - spinFrom) / Double(CLOCKS_PER_SEC) < 0.2 {}
        let later = try #require(try Self.scrape(app).values["process_cpu_seconds_total"])
        #expect(later >= cpu + 0.2)
    }

    @Test func pool_sizeInUseAndWaits() throws {
        let app = try TestApp(configure: {
            $0.databasePoolSize = 3; $0.workers = 3
        })
        defer { app.stop() }
        let pool = try #require(app.server.pool)
        let first = try Self.scrape(app)
        #expect(first.values["concord_db_pool_size"] == 3)
        #expect(first.types["concord_db_pool_waits_total"] == "counter")
        let waitsBefore = try #require(first.values["concord_db_pool_waits_total"])

        // Every connection held: the next checkout waits, and the scrape shows it in use and waiting.
        let release = DispatchSemaphore(value: 0)
        let holding = DispatchGroup()
        let outcomes = Outcomes()
        for _ in 0..<3 {
            let held = DispatchSemaphore(value: 0)
            DispatchQueue.global().async(group: holding) {
                // A checkout that fails signals too, so the test reports it instead of hanging.
                outcomes.record {
                    defer { held.signal() }
                    try pool.withConnection { _ in
                        held.signal(); release.wait()
                    }
                }
            }
            try #require(held.wait(timeout: .now() + 10) == .success, "\(outcomes.errors)")
        }
        DispatchQueue.global().async(group: holding) { outcomes.record { try pool.withConnection { _ in } } }
        #expect(eventually { pool.waitingCount >= 1 }, "the checkout beyond the pool (and the background loops) wait")
        let busy = try Self.scrape(app)
        #expect(busy.values["concord_db_pool_in_use"] == 3)
        #expect((busy.values["concord_db_pool_waiting"] ?? 0) >= 1)
        for _ in 0..<3 { release.signal() }
        holding.wait()
        #expect(outcomes.errors == [])
        let waitsAfter = try #require(try Self.scrape(app).values["concord_db_pool_waits_total"])
        #expect(waitsAfter >= waitsBefore + 1)
    }

    /// A delivery whose target answers 503 waits for its retry: it is counted, and it ages.
    @Test func webhookBacklog_pendingDeliveriesAndTheOldestAge() throws {
        let app = try TestApp(configure: {
            $0.webhookAllowPrivate = true; $0.webhookRetryBaseMilliseconds = 60_000
        })
        defer { app.stop() }
        #expect(
            eventually {
                let empty = (try? Self.scrape(app))?.values ?? [:]
                return empty["concord_webhook_deliveries_pending"] == 0
                    && empty["concord_webhook_oldest_pending_age_seconds"] == 0
            })

        let receiver = try WebhookReceiver(answer: { _ in 503 })
        defer { receiver.stop() }
        let admin = app.client()
        #expect(
            try admin.post("/webhooks", #"{"url":"\#(receiver.url)","event_types":["customer.created"]}"#).status == 201
        )
        #expect(try admin.post("/customers", #"{"name":"Backlogged"}"#).status == 201)
        #expect(eventually(timeout: 10) { receiver.requests.count == 1 })
        var scrape = try Self.scrape(app)
        #expect(
            eventually(timeout: 5) {
                scrape = (try? Self.scrape(app)) ?? scrape
                return scrape.values["concord_webhook_deliveries_pending"] == 1
                    && (scrape.values["concord_webhook_oldest_pending_age_seconds"] ?? 0) > 0.5
            }, "\(scrape.values.filter { $0.key.hasPrefix("concord_webhook") })")
    }

    /// An event committed while an older transaction is still open waits for it to be numbered.
    @Test func eventsWaitingToBeNumbered() throws {
        let app = try TestApp()
        defer { app.stop() }
        #expect(eventually { (try? Self.scrape(app).values["concord_events_unnumbered"]) == 0 })

        let older = try PostgresConnection(connectionString: app.databaseURL)
        defer { older.close() }
        try older.execute(unsafeText: "BEGIN")
        try older.execute(unsafeText: "SELECT pg_current_xact_id()")
        #expect(try app.client().post("/customers", #"{"name":"Waits"}"#).status == 201)
        #expect(eventually { (try? Self.scrape(app).values["concord_events_unnumbered"]) == 1 })
        // The publisher runs every 50 ms; after several rounds the event is still unnumbered (read
        // from the table: the scraped figure may be a cached one).
        usleep(300_000)
        #expect(
            try TestSQL.scalar(app.databaseURL, "SELECT count(*) FROM events WHERE sequence IS NULL") == "1",
            "still waiting while the older transaction runs")
        try older.execute(unsafeText: "COMMIT")
        #expect(eventually { (try? Self.scrape(app).values["concord_events_unnumbered"]) == 0 })
    }
}
