import Core
import FoundationEssentials
import Synchronization

/// Prometheus metrics (text format 0.0.4): request counts and durations by method, route
/// template and status, requests in flight, and gauges other modules register (pool use).
public final class Metrics: @unchecked Sendable {
    /// Upper bounds in seconds for `concord_http_request_duration_seconds`.
    static let buckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    private struct Key: Hashable {
        let method: String
        let route: String
        let status: Int
    }

    private struct Series {
        var count: UInt64 = 0
        var sum: Double = 0
        var bucketCounts = [UInt64](repeating: 0, count: Metrics.buckets.count)

        mutating func record(_ seconds: Double) {
            count += 1
            sum += seconds
            for (index, bound) in Metrics.buckets.enumerated() where seconds <= bound { bucketCounts[index] += 1 }
        }
    }

    /// Guards `series` and `gauges`.
    private let seriesLock = Lock()
    private var series: [Key: Series] = [:]
    private var gauges: [(name: String, help: String, type: String, read: @Sendable () -> Double)] = []
    private var expositions: [@Sendable () -> String] = []
    private var families: [(name: String, help: String, label: String, read: @Sendable () -> [(String, Double)])] = []
    private let inFlight = InFlightCounter()

    public init() {}

    func requestStarted() { inFlight.add(1) }
    func requestFinished() { inFlight.add(-1) }

    /// The methods that get a series of their own; any other token is counted as `other`, so
    /// anonymous clients cannot create series (the method is recorded before authentication).
    static let knownMethods: Set<String> = [
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE",
    ]

    /// Records one finished request. Every label is bounded: a method outside `knownMethods`
    /// is `other`, a route is a template of the router or `unmatched` (the caller's part), and a
    /// status is one the server chose.
    public func observe(method: String, route: String, status: Int, seconds: Double) {
        let key = Key(method: Self.knownMethods.contains(method) ? method : "other", route: route, status: status)
        seriesLock.lock()
        defer { seriesLock.unlock() }
        // Updated in place: copying the entry out and back would copy its bucket array too.
        series[key, default: Series()].record(seconds)
    }

    /// Adds a gauge read at scrape time (`concord_db_pool_in_use`, …).
    public func registerGauge(_ name: String, help: String, read: @escaping @Sendable () -> Double) {
        seriesLock.lock()
        defer { seriesLock.unlock() }
        gauges.append((name, help, "gauge", read))
    }

    /// Adds a gauge with one label read at scrape time: one series per `(label value, value)`
    /// that `read` returns (`concord_alerts_open{kind="…"}`). Label values must be a closed set.
    public func registerGauge(
        _ name: String, help: String, label: String, read: @escaping @Sendable () -> [(String, Double)]
    ) {
        seriesLock.lock()
        defer { seriesLock.unlock() }
        families.append((name, help, label, read))
    }

    /// Adds a counter read at scrape time (`process_cpu_seconds_total`, …): a total that only grows.
    public func registerCounter(_ name: String, help: String, read: @escaping @Sendable () -> Double) {
        seriesLock.lock()
        defer { seriesLock.unlock() }
        gauges.append((name, help, "counter", read))
    }

    /// Adds lines rendered at scrape time, for series with labels (one per read replica).
    public func registerExposition(_ render: @escaping @Sendable () -> String) {
        seriesLock.lock()
        defer { seriesLock.unlock() }
        expositions.append(render)
    }

    /// The exposition text.
    public func render() -> String {
        seriesLock.lock()
        let snapshot = series.sorted {
            ($0.key.route, $0.key.method, $0.key.status) < ($1.key.route, $1.key.method, $1.key.status)
        }
        let gaugeList = gauges
        let extra = expositions
        let familyList = families
        seriesLock.unlock()

        var out = "# HELP concord_http_requests_total HTTP requests answered, by method, route template and status.\n"
        out += "# TYPE concord_http_requests_total counter\n"
        for (key, entry) in snapshot {
            out += "concord_http_requests_total{\(labels(key))} \(entry.count)\n"
        }
        out +=
            "# HELP concord_http_request_duration_seconds Time from routing to response, by method, route template and status.\n"
        out += "# TYPE concord_http_request_duration_seconds histogram\n"
        for (key, entry) in snapshot {
            let base = labels(key)
            for (index, bound) in Self.buckets.enumerated() {
                out +=
                    "concord_http_request_duration_seconds_bucket{\(base),le=\"\(format(bound))\"} \(entry.bucketCounts[index])\n"
            }
            out += "concord_http_request_duration_seconds_bucket{\(base),le=\"+Inf\"} \(entry.count)\n"
            out += "concord_http_request_duration_seconds_sum{\(base)} \(entry.sum)\n"
            out += "concord_http_request_duration_seconds_count{\(base)} \(entry.count)\n"
        }
        out += "# HELP concord_http_requests_in_flight Requests being handled now.\n"
        out += "# TYPE concord_http_requests_in_flight gauge\n"
        out += "concord_http_requests_in_flight \(inFlight.value)\n"
        for gauge in gaugeList {
            out +=
                "# HELP \(gauge.name) \(gauge.help)\n# TYPE \(gauge.name) \(gauge.type)\n\(gauge.name) \(format(gauge.read()))\n"
        }
        for render in extra { out += render() }
        for family in familyList {
            out += "# HELP \(family.name) \(family.help)\n# TYPE \(family.name) gauge\n"
            for (value, reading) in family.read() {
                out += "\(family.name){\(family.label)=\"\(escape(value))\"} \(format(reading))\n"
            }
        }
        return out
    }

    private func labels(_ key: Key) -> String {
        "method=\"\(escape(key.method))\",route=\"\(escape(key.route))\",status=\"\(key.status)\""
    }

    /// Label values escape backslash, quote and newline (exposition format 0.0.4).
    private func escape(_ text: String) -> String {
        text.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"")
            .replacingAll("\n", with: "\\n")
    }

    private func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        return value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}

/// Requests in flight: an atomic, so the hot path never takes a lock for it.
final class InFlightCounter: Sendable {
    private let count = Atomic<Int>(0)

    func add(_ delta: Int) { count.add(delta, ordering: .relaxed) }

    var value: Int { count.load(ordering: .relaxed) }
}
