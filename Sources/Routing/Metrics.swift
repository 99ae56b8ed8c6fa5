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

    /// A metric other modules register: its series are read at scrape time.
    private struct Family {
        let name: String
        let help: String
        let kind: MetricKind
        let read: @Sendable () -> [MetricSample]
    }

    /// Guards `series` and `families`.
    private let seriesLock = Lock()
    private var series: [Key: Series] = [:]
    private var families: [Family] = []
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

    /// Adds a metric whose series `read` returns at scrape time, one per label set: the one way
    /// other modules extend `/metrics`. Label values must come from a closed set (kinds, replica
    /// names), never from a request.
    public func register(
        _ name: String, help: String, kind: MetricKind, read: @escaping @Sendable () -> [MetricSample]
    ) {
        seriesLock.withLock { families.append(Family(name: name, help: help, kind: kind, read: read)) }
    }

    /// Adds a gauge without labels (`concord_db_pool_in_use`, …).
    public func registerGauge(_ name: String, help: String, read: @escaping @Sendable () -> Double) {
        register(name, help: help, kind: .gauge) { [MetricSample(read())] }
    }

    /// Adds a counter without labels (`process_cpu_seconds_total`, …): a total that only grows.
    public func registerCounter(_ name: String, help: String, read: @escaping @Sendable () -> Double) {
        register(name, help: help, kind: .counter) { [MetricSample(read())] }
    }

    /// The exposition text.
    public func render() -> String {
        seriesLock.lock()
        let snapshot = series.sorted {
            ($0.key.route, $0.key.method, $0.key.status) < ($1.key.route, $1.key.method, $1.key.status)
        }
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
        for family in familyList {
            out += "# HELP \(family.name) \(family.help)\n# TYPE \(family.name) \(family.kind.rawValue)\n"
            for sample in family.read() {
                out += family.name
                if !sample.labels.isEmpty {
                    out += "{"
                    out += sample.labels.map { "\($0.name)=\"\(escape($0.value))\"" }.joined(separator: ",")
                    out += "}"
                }
                out += " \(format(sample.value))\n"
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

/// The type line of a registered metric.
public enum MetricKind: String, Sendable {
    case gauge
    case counter
}

/// One series of a registered metric at scrape time: its labels, in order, and its value.
public struct MetricSample: Sendable {
    public let labels: [(name: String, value: String)]
    public let value: Double

    public init(_ value: Double, labels: [(name: String, value: String)] = []) {
        self.labels = labels
        self.value = value
    }
}

/// Requests in flight: an atomic, so the hot path never takes a lock for it.
final class InFlightCounter: Sendable {
    private let count = Atomic<Int>(0)

    func add(_ delta: Int) { count.add(delta, ordering: .relaxed) }

    var value: Int { count.load(ordering: .relaxed) }
}
