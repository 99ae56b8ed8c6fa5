import Core
import FoundationEssentials
import Platform

/// Every `CONCORD_*` setting, read from the environment and overridable by `serve` flags.
/// A bad value stops start-up with one line naming the variable and what it accepts.
public struct Configuration: Sendable {
    public var databaseURL: String?
    /// Read replicas (`DATABASE_READ_URL`, comma-separated); empty: every read on the primary.
    public var databaseReadURLs: [String] = []
    /// After a write, that API key's replica reads go to the primary for this long.
    public var readYourWritesMilliseconds = 2_000
    /// A replica further behind than this is out of rotation.
    public var replicaMaxLagMilliseconds = 5_000
    /// Seconds between two replica health checks. Not an environment setting; tests shorten it.
    public var replicaCheckInterval = 1.0
    public var host = "127.0.0.1"
    public var port = 8080
    public var dataDirectory = "./.concord"
    public var adminAPIKey: String?
    /// Default: one epoll loop per core.
    public var ioThreads = max(1, ProcessInfo.processInfo.activeProcessorCount)
    public var workers = 16
    public var databasePoolSize = 16
    public var batchScheduling = true
    public var maxBodyBytes = 1_048_576
    public var maxConnections = 10_000
    public var headerReadTimeout = 10.0
    /// Seconds a request body may go without a byte arriving (slow uploads), apart from the
    /// header deadline so a large upload on a slow link need not loosen the slowloris guard.
    public var bodyReadTimeout = 10.0
    public var idleTimeout = 60.0
    public var shutdownGrace = 10.0
    public var corsOrigins: [String] = []
    public var defaultCurrency = "USD"
    public var logFormat = LogFormat.text
    public var logLevel = "info"
    /// Requests per second per API key, sustained (0 turns limiting off), and at once. The
    /// default is about what one instance serves for one key (GET /me on 2 shared cores, debug
    /// build: 4,200/s), so only a key that would crowd out the others is held back.
    public var rateLimitPerSecond = 5_000.0
    public var rateLimitBurst = 10_000
    public var webhookAllowPrivate = false
    public var webhookRetryBaseMilliseconds = 30_000
    /// Seconds between the alert scheduler's ticks on this instance; 0 turns the scheduler off
    /// (`POST /alerts/evaluate` still runs a tick).
    public var schedulerIntervalSeconds = 60
    /// Attempts before a delivery is given up (about three days at the default base). Not an
    /// environment setting: the schedule is what the retry base says; tests shorten it.
    public var webhookMaxAttempts = 19
    /// How far, in percent of the purchase order line's unit cost, a bill's unit cost may stray
    /// before the bill needs `accept_variance` to post (0: any difference does).
    public var billPriceTolerancePercent = ExactDecimal.zero

    public enum LogFormat: String, Sendable { case text, json }

    /// A setting that could not be used; its description is the one line start-up prints.
    public struct Invalid: Error, CustomStringConvertible {
        public let variable: String
        public let accepts: String
        public var description: String { "invalid \(variable): expected \(accepts)" }
    }

    /// A secret given both as `NAME` and as `NAME_FILE`: start-up cannot tell which one is meant.
    public struct Conflict: Error, CustomStringConvertible {
        public let variable: String
        public var description: String { "\(variable) and \(variable)_FILE are both set: set one of them" }
    }

    /// The secrets that can also come from a file (`NAME_FILE=/run/secrets/…`, the Docker and
    /// Kubernetes secrets convention); the file's content, less a trailing newline, is the value.
    public static let fileVariables = ["DATABASE_URL", "DATABASE_READ_URL", "CONCORD_ADMIN_API_KEY"]

    /// The settings' names, in the order they are documented and printed.
    public static let variables = [
        "DATABASE_URL", "DATABASE_READ_URL", "CONCORD_HOST", "CONCORD_PORT", "CONCORD_DATA_DIR",
        "CONCORD_ADMIN_API_KEY", "CONCORD_IO_THREADS", "CONCORD_WORKERS", "CONCORD_DB_POOL_SIZE", "CONCORD_SCHED_BATCH",
        "CONCORD_MAX_BODY_BYTES",
        "CONCORD_MAX_CONNECTIONS", "CONCORD_HEADER_TIMEOUT", "CONCORD_BODY_TIMEOUT_MS", "CONCORD_IDLE_TIMEOUT",
        "CONCORD_SHUTDOWN_GRACE",
        "CONCORD_CORS_ORIGINS", "CONCORD_DEFAULT_CURRENCY", "CONCORD_LOG_FORMAT", "CONCORD_LOG_LEVEL",
        "CONCORD_RATE_LIMIT", "CONCORD_RATE_LIMIT_BURST", "CONCORD_WEBHOOK_ALLOW_PRIVATE",
        "CONCORD_WEBHOOK_RETRY_BASE_MS", "CONCORD_READ_YOUR_WRITES_MS", "CONCORD_REPLICA_MAX_LAG_MS",
        "CONCORD_BILL_PRICE_TOLERANCE_PERCENT", "CONCORD_SCHEDULER_INTERVAL_S",
    ]

    public init() {}

    /// Reads `environment`, with `overrides` (from flags, same variable names) taking precedence.
    public static func load(environment: [String: String], overrides: [String: String] = [:]) throws -> Configuration {
        var values = environment.filter { variables.contains($0.key) }
        for name in fileVariables {
            guard let path = environment[name + "_FILE"], !path.isEmpty else { continue }
            if let direct = values[name], !direct.isEmpty { throw Conflict(variable: name) }
            values[name] = try secret(fromFile: path, variable: name + "_FILE")
        }
        for (key, value) in overrides { values[key] = value }
        func value(_ name: String) -> String? {
            guard let v = values[name], !v.isEmpty else { return nil }
            return v
        }
        func int(_ name: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let text = value(name) else { return nil }
            guard let n = Int(text), range.contains(n) else {
                throw Invalid(variable: name, accepts: "an integer from \(range.lowerBound) to \(range.upperBound)")
            }
            return n
        }
        func seconds(_ name: String) throws -> Double? {
            guard let text = value(name) else { return nil }
            guard let n = Double(text), n > 0, n <= 86_400 else {
                throw Invalid(variable: name, accepts: "seconds, above 0 and at most 86400")
            }
            return n
        }

        var config = Configuration()
        if let url = value("DATABASE_URL") {
            guard isDatabaseURL(url) else {
                throw Invalid(
                    variable: "DATABASE_URL",
                    accepts: "postgres://user:password@host:port/database or key=value connection string")
            }
            config.databaseURL = url
        }
        if let urls = value("DATABASE_READ_URL") {
            // Key/value strings hold spaces, URLs none: both are split at commas.
            let list = urls.split(separator: ",").map { $0.trimmedOfSpaces() }
            guard !list.isEmpty, list.count <= 16, list.allSatisfy({ !$0.isEmpty && isDatabaseURL($0) }) else {
                throw Invalid(
                    variable: "DATABASE_READ_URL",
                    accepts:
                        "one to 16 comma-separated replica URLs (postgres://user:password@host:port/database or key=value connection strings)"
                )
            }
            config.databaseReadURLs = list
        }
        config.readYourWritesMilliseconds =
            try int("CONCORD_READ_YOUR_WRITES_MS", 0...3_600_000) ?? config.readYourWritesMilliseconds
        config.replicaMaxLagMilliseconds =
            try int("CONCORD_REPLICA_MAX_LAG_MS", 1...86_400_000) ?? config.replicaMaxLagMilliseconds
        if let host = value("CONCORD_HOST") {
            guard !host.contains(where: { $0 == " " || $0 == "/" }) else {
                throw Invalid(
                    variable: "CONCORD_HOST", accepts: "an IP address or host name such as 127.0.0.1, 0.0.0.0 or ::")
            }
            config.host = host
        }
        config.port = try int("CONCORD_PORT", 0...65_535) ?? config.port
        config.dataDirectory = value("CONCORD_DATA_DIR") ?? config.dataDirectory
        if let key = value("CONCORD_ADMIN_API_KEY") {
            guard isWellFormedAPIKey(key) else {
                throw Invalid(
                    variable: "CONCORD_ADMIN_API_KEY",
                    accepts: "ck_ + 8 letters or digits + _ + at least 32 letters or digits")
            }
            config.adminAPIKey = key
        }
        config.ioThreads = try int("CONCORD_IO_THREADS", 1...256) ?? config.ioThreads
        config.databasePoolSize = try int("CONCORD_DB_POOL_SIZE", 1...1_024) ?? config.databasePoolSize
        // A handler holds at most one connection, and every worker can get one: so no handler
        // ever waits for a connection while another waits on it.
        config.workers = try int("CONCORD_WORKERS", 1...1_024) ?? config.databasePoolSize
        if config.workers > config.databasePoolSize {
            throw Invalid(
                variable: "CONCORD_WORKERS",
                accepts:
                    "at most CONCORD_DB_POOL_SIZE (\(config.databasePoolSize)), so every worker can hold a connection")
        }
        if let flag = value("CONCORD_SCHED_BATCH") {
            guard flag == "true" || flag == "false" else {
                throw Invalid(variable: "CONCORD_SCHED_BATCH", accepts: "true or false")
            }
            config.batchScheduling = flag == "true"
        }
        config.maxBodyBytes = try int("CONCORD_MAX_BODY_BYTES", 1_024...1_073_741_824) ?? config.maxBodyBytes
        config.maxConnections = try int("CONCORD_MAX_CONNECTIONS", 1...1_000_000) ?? config.maxConnections
        config.headerReadTimeout = try seconds("CONCORD_HEADER_TIMEOUT") ?? config.headerReadTimeout
        if let milliseconds = try int("CONCORD_BODY_TIMEOUT_MS", 1...86_400_000) {
            config.bodyReadTimeout = Double(milliseconds) / 1_000
        }
        config.idleTimeout = try seconds("CONCORD_IDLE_TIMEOUT") ?? config.idleTimeout
        config.shutdownGrace = try seconds("CONCORD_SHUTDOWN_GRACE") ?? config.shutdownGrace
        if let origins = value("CONCORD_CORS_ORIGINS") {
            let list = origins.split(separator: ",").map { $0.trimmedOfSpaces() }.filter {
                !$0.isEmpty
            }
            for origin in list where origin != "*" && !(origin.hasPrefix("http://") || origin.hasPrefix("https://")) {
                throw Invalid(
                    variable: "CONCORD_CORS_ORIGINS",
                    accepts: "comma-separated origins like https://app.example.com, or *")
            }
            config.corsOrigins = list
        }
        if let currency = value("CONCORD_DEFAULT_CURRENCY") {
            guard currency.count == 3, currency.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
                throw Invalid(variable: "CONCORD_DEFAULT_CURRENCY", accepts: "an ISO 4217 code such as USD or EUR")
            }
            config.defaultCurrency = currency
        }
        if let format = value("CONCORD_LOG_FORMAT") {
            guard let parsed = LogFormat(rawValue: format) else {
                throw Invalid(variable: "CONCORD_LOG_FORMAT", accepts: "text or json")
            }
            config.logFormat = parsed
        }
        if let level = value("CONCORD_LOG_LEVEL") {
            let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
            guard levels.contains(level) else {
                throw Invalid(variable: "CONCORD_LOG_LEVEL", accepts: levels.joined(separator: ", "))
            }
            config.logLevel = level
        }
        if let rate = value("CONCORD_RATE_LIMIT") {
            guard let perSecond = Double(rate), perSecond >= 0, perSecond <= 1_000_000 else {
                throw Invalid(
                    variable: "CONCORD_RATE_LIMIT", accepts: "requests per second per API key, 0 (off) to 1000000")
            }
            config.rateLimitPerSecond = perSecond
        }
        config.rateLimitBurst = try int("CONCORD_RATE_LIMIT_BURST", 1...1_000_000) ?? config.rateLimitBurst
        if let flag = value("CONCORD_WEBHOOK_ALLOW_PRIVATE") {
            guard flag == "true" || flag == "false" else {
                throw Invalid(variable: "CONCORD_WEBHOOK_ALLOW_PRIVATE", accepts: "true or false")
            }
            config.webhookAllowPrivate = flag == "true"
        }
        config.webhookRetryBaseMilliseconds =
            try int("CONCORD_WEBHOOK_RETRY_BASE_MS", 1...86_400_000) ?? config.webhookRetryBaseMilliseconds
        if let tolerance = value("CONCORD_BILL_PRICE_TOLERANCE_PERCENT") {
            guard let percent = try? ExactDecimal(parsing: tolerance), DocumentRules.isPercentage(percent) else {
                throw Invalid(
                    variable: "CONCORD_BILL_PRICE_TOLERANCE_PERCENT",
                    accepts: "a percent from 0 to 100 with at most 3 decimal places")
            }
            config.billPriceTolerancePercent = percent
        }
        config.schedulerIntervalSeconds =
            try int("CONCORD_SCHEDULER_INTERVAL_S", 0...86_400) ?? config.schedulerIntervalSeconds
        return config
    }

    /// The content of a secret file without its trailing line break (what `echo` and editors add).
    static func secret(fromFile path: String, variable: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Invalid(variable: variable, accepts: "a readable file holding the value (cannot read \(path))")
        }
        var text = String(decoding: data, as: UTF8.self)
        while let last = text.unicodeScalars.last, last == "\n" || last == "\r" { text.unicodeScalars.removeLast() }
        guard !text.isEmpty else {
            throw Invalid(variable: variable, accepts: "a file holding the value (\(path) is empty)")
        }
        return text
    }

    static func isDatabaseURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") || text.contains("=")
    }

    /// API.md: `ck_` + 8 letters or digits + `_` + at least 32 letters or digits.
    public static func isWellFormedAPIKey(_ key: String) -> Bool {
        let parts = key.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "ck" else { return false }
        let alnum: (Substring) -> Bool = { $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } }
        return parts[1].count == 8 && alnum(parts[1]) && parts[2].count >= 32 && alnum(parts[2])
    }

    /// The settings as `NAME=value` lines with secrets masked, for the start-up banner.
    public var printable: [String] {
        [
            "DATABASE_URL=\(databaseURL.map(Self.maskPassword) ?? "(embedded PostgreSQL under \(dataDirectory))")",
            "DATABASE_READ_URL=\(databaseReadURLs.isEmpty ? "(unset)" : databaseReadURLs.map(Self.maskPassword).joined(separator: ","))",
            "CONCORD_HOST=\(host)", "CONCORD_PORT=\(port)", "CONCORD_DATA_DIR=\(dataDirectory)",
            "CONCORD_ADMIN_API_KEY=\(adminAPIKey.map { String($0.prefix(12)) + "…" } ?? "(unset)")",
            "CONCORD_IO_THREADS=\(ioThreads)", "CONCORD_WORKERS=\(workers)", "CONCORD_DB_POOL_SIZE=\(databasePoolSize)",
            "CONCORD_SCHED_BATCH=\(batchScheduling)", "CONCORD_MAX_BODY_BYTES=\(maxBodyBytes)",
            "CONCORD_MAX_CONNECTIONS=\(maxConnections)", "CONCORD_HEADER_TIMEOUT=\(headerReadTimeout)",
            "CONCORD_BODY_TIMEOUT_MS=\(Int((bodyReadTimeout * 1_000).rounded()))",
            "CONCORD_IDLE_TIMEOUT=\(idleTimeout)", "CONCORD_SHUTDOWN_GRACE=\(shutdownGrace)",
            "CONCORD_CORS_ORIGINS=\(corsOrigins.joined(separator: ","))", "CONCORD_DEFAULT_CURRENCY=\(defaultCurrency)",
            "CONCORD_LOG_FORMAT=\(logFormat.rawValue)", "CONCORD_LOG_LEVEL=\(logLevel)",
            "CONCORD_RATE_LIMIT=\(rateLimitPerSecond)", "CONCORD_RATE_LIMIT_BURST=\(rateLimitBurst)",
            "CONCORD_WEBHOOK_ALLOW_PRIVATE=\(webhookAllowPrivate)",
            "CONCORD_WEBHOOK_RETRY_BASE_MS=\(webhookRetryBaseMilliseconds)",
            "CONCORD_READ_YOUR_WRITES_MS=\(readYourWritesMilliseconds)",
            "CONCORD_REPLICA_MAX_LAG_MS=\(replicaMaxLagMilliseconds)",
            "CONCORD_BILL_PRICE_TOLERANCE_PERCENT=\(billPriceTolerancePercent)",
            "CONCORD_SCHEDULER_INTERVAL_S=\(schedulerIntervalSeconds)",
        ]
    }

    /// Replaces the password of a URL or key/value connection string with `***`.
    static func maskPassword(_ url: String) -> String {
        if let scheme = url.firstRange(of: "://"), let at = url[scheme.upperBound...].lastIndex(of: "@") {
            let credentials = url[scheme.upperBound..<at]
            if let colon = credentials.firstIndex(of: ":") {
                return String(url[..<url.index(after: colon)]) + "***" + String(url[at...])
            }
            return url
        }
        return url.split(separator: " ").map { $0.hasPrefix("password=") ? "password=***" : String($0) }.joined(
            separator: " ")
    }
}
