import Alerts
import Core
import Dispatch
import FoundationEssentials
import Glibc
import Postgres
import Routing

/// The process's own figures, in the names Prometheus client libraries use: resident memory,
/// open descriptors (and their limit), CPU time and start time, read from the kernel at scrape.
enum ProcessMetrics {
    static func register(in metrics: Metrics) {
        metrics.registerGauge("process_resident_memory_bytes", help: "Resident memory size in bytes.") {
            residentMemoryBytes()
        }
        metrics.registerGauge("process_open_fds", help: "Open file descriptors (sockets included).") {
            openFileDescriptors()
        }
        metrics.registerGauge("process_max_fds", help: "The limit on open file descriptors.") { maxFileDescriptors() }
        metrics.registerCounter("process_cpu_seconds_total", help: "User and system CPU time spent, in seconds.") {
            cpuSeconds()
        }
        let started = startTime()
        metrics.registerGauge(
            "process_start_time_seconds", help: "Start time of the process, in seconds since the Unix epoch."
        ) { started }
    }

    /// `/proc/self/statm`'s second field (resident pages) times the page size.
    static func residentMemoryBytes() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return .nan }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Double(fields[1]) else { return .nan }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// The entries of `/proc/self/fd`, less the one the listing itself holds open.
    static func openFileDescriptors() -> Double {
        guard let directory = opendir("/proc/self/fd") else { return .nan }
        defer { closedir(directory) }
        let own = dirfd(directory)
        var count = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." || Int32(name) == own { continue }
            count += 1
        }
        return Double(count)
    }

    static func maxFileDescriptors() -> Double {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return .nan }
        return Double(limit.rlim_cur)
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return .nan }
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Now less the process's age (`/proc/self/stat` field 22, in clock ticks since boot).
    static func startTime() -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")"),
            let uptimeText = try? String(contentsOfFile: "/proc/uptime", encoding: .utf8),
            let uptime = Double(uptimeText.split(separator: " ").first ?? "")
        else { return .nan }
        // Fields after the command name start at field 3 (state); field 22 is starttime.
        let rest = stat[stat.index(after: close)...].split(separator: " ")
        guard rest.count > 19, let ticks = Double(rest[19]) else { return .nan }
        let age = uptime - ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
        return (Date().timeIntervalSince1970 - age).rounded()
    }
}

/// Work waiting in the database: webhook deliveries not yet delivered or given up, the age of
/// the oldest, and committed events the publisher has not numbered yet. A scrape is answered on
/// the I/O thread and never waits for the database: it shows the last figures read and, when
/// they are over a second old, has them read again in the background, over a connection of
/// their own (so a busy pool does not hold them up). The figures are those of the whole
/// database, so every instance reports the same values. NaN until first read, and while the
/// database is unreachable.
final class BacklogMetrics: @unchecked Sendable {
    struct Snapshot {
        var pendingDeliveries = Double.nan
        var oldestPendingAge = Double.nan
        var unnumberedEvents = Double.nan
        /// Open and acknowledged alerts by kind.
        var alertsOpen: [String: Double]?
        /// The alert scheduler's last successful tick, seconds since the epoch (0 before the first).
        var lastAlertTick = Double.nan
    }

    private let connectionString: String
    /// Guards `snapshot`, `takenAt`, `refreshing`.
    private let lock = Lock()
    private var snapshot = Snapshot()
    private var takenAt = -Double.infinity
    private var refreshing = false
    /// Only touched on `queue`.
    private var connection: PostgresConnection?
    private var closed = false
    private let queue = DispatchQueue(label: "concord-backlog-metrics")

    init(connectionString: String) {
        self.connectionString = connectionString
    }

    func register(in metrics: Metrics) {
        metrics.registerGauge(
            "concord_webhook_deliveries_pending",
            help: "Webhook deliveries waiting for a first or further attempt (all instances)."
        ) { [self] in
            current().pendingDeliveries
        }
        metrics.registerGauge(
            "concord_webhook_oldest_pending_age_seconds",
            help: "Age of the oldest pending webhook delivery in seconds (0 when none)."
        ) { [self] in
            current().oldestPendingAge
        }
        metrics.registerGauge(
            "concord_events_unnumbered",
            help: "Committed events not yet given a sequence number by the publisher."
        ) { [self] in
            current().unnumberedEvents
        }
        metrics.register(
            "concord_alerts_open", help: "Open and acknowledged alerts, by kind (all instances).", kind: .gauge
        ) { [self] in
            let open = current().alertsOpen
            return AlertKind.allCases.map { kind in
                MetricSample(
                    open.map { counts in counts[kind.rawValue] ?? 0 } ?? Double.nan,
                    labels: [("kind", kind.rawValue)])
            }
        }
        metrics.registerGauge(
            "concord_alerts_last_tick_timestamp_seconds",
            help: "When any instance last finished an alert scheduler tick, in seconds since the Unix epoch (0: never)."
        ) { [self] in
            current().lastAlertTick
        }
        _ = current()  // the first read, so the first scrape has figures
    }

    /// The last figures read; starts a new read when they are over a second old.
    func current() -> Snapshot {
        lock.lock()
        defer { lock.unlock() }
        if !refreshing, ProcessInfo.processInfo.systemUptime - takenAt > 1 {
            refreshing = true
            queue.async { [self] in refresh() }
        }
        return snapshot
    }

    /// Reads the figures (on `queue`).
    private func refresh() {
        var fresh = Snapshot()
        do {
            guard !closed else { return }
            let connection =
                try self.connection
                ?? PostgresConnection(
                    connectionString: connectionString,
                    statementTimeoutMilliseconds: 2_000,
                    applicationName: "concord-metrics")
            self.connection = connection
            let row = try connection.query(
                """
                SELECT (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending') AS pending,
                       (SELECT coalesce(extract(epoch FROM clock_timestamp() - min(created_at)), 0)::float8
                          FROM webhook_deliveries WHERE status = 'pending') AS oldest,
                       (SELECT count(*) FROM events WHERE sequence IS NULL) AS unnumbered,
                       (SELECT coalesce(extract(epoch FROM last_tick_at), 0)::float8 FROM alert_scheduler) AS last_tick
                """
            ).first
            var open: [String: Double] = [:]
            for row in try connection.query(
                "SELECT kind, count(*) AS n FROM alerts WHERE status IN ('open', 'acknowledged') GROUP BY kind"
            ).rows {
                open[try row.decode("kind")] = Double(try row.decode("n", as: Int64.self))
            }
            fresh = Snapshot(
                pendingDeliveries: Double(try row?.decode("pending", as: Int64.self) ?? 0),
                oldestPendingAge: try row?.decode("oldest", as: Double.self) ?? 0,
                unnumberedEvents: Double(try row?.decode("unnumbered", as: Int64.self) ?? 0), alertsOpen: open,
                lastAlertTick: try row?.decodeIfPresent("last_tick", as: Double.self) ?? 0)
        } catch {
            connection?.close()
            connection = nil
        }
        lock.lock()
        snapshot = fresh
        takenAt = ProcessInfo.processInfo.systemUptime
        refreshing = false
        lock.unlock()
    }

    /// Waits for a read in progress, then closes the connection.
    func close() {
        queue.sync {
            closed = true
            connection?.close()
            connection = nil
        }
    }
}

extension ConcordServer {
    /// Each read replica's lag, state and reads, and the reads that fell back to the primary.
    static func registerMetrics(of replicas: ReadReplicas, in metrics: Metrics) {
        func perReplica(_ value: @escaping @Sendable (ReadReplicas.Replica) -> Double) -> @Sendable () -> [MetricSample]
        {
            { replicas.replicas.map { MetricSample(value($0), labels: [("replica", $0.name)]) } }
        }
        metrics.register(
            "concord_db_replica_lag_seconds",
            help: "How far each read replica was behind the primary at its last check.",
            kind: .gauge, read: perReplica { $0.lagSeconds })
        metrics.register(
            "concord_db_replica_up",
            help: "1 while a read replica is in rotation (reachable and within the lag limit).",
            kind: .gauge, read: perReplica { $0.state == .healthy ? 1 : 0 })
        metrics.register(
            "concord_db_replica_state",
            help: "Each read replica's state: healthy, lagging or unreachable (1 marks the current one).", kind: .gauge
        ) {
            replicas.replicas.flatMap { replica in
                [ReadReplicas.State.healthy, .lagging, .unreachable].map { state in
                    MetricSample(
                        replica.state == state ? 1 : 0, labels: [("replica", replica.name), ("state", state.rawValue)])
                }
            }
        }
        metrics.register(
            "concord_db_replica_reads_total", help: "Reads served by each read replica.", kind: .counter,
            read: perReplica { Double($0.reads) })
        metrics.registerCounter(
            "concord_db_replica_fallbacks_total", help: "Reads a replica failed that the primary served instead."
        ) { Double(replicas.fallbacks) }
    }
}
