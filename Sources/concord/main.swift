import App
import ArgumentParser
import CLinuxShims
import FoundationEssentials
import Glibc
import Logging
import Platform

// SIGTERM/SIGINT are blocked before any thread starts, so every thread inherits the mask and
// the server reads them from a signalfd instead of running code in a signal handler.
let terminationSignals = cshim_signalfd_for_termination()
// Log lines are written by a background thread; whatever is buffered goes out on exit.
atexit { LogOutput.shared.flush() }

/// Writes `text` to standard error as it is (no newline added).
func printError(_ text: String) {
    var text = text
    text.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
}

/// `seconds` with one decimal (`12.3`).
func tenths(_ seconds: Double) -> String {
    let tenths = Int((seconds * 10).rounded())
    return "\(tenths / 10).\(tenths % 10)"
}

struct Concord: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "concord",
        abstract: "One backend for CRM and ERP, over JSON and HTTP.",
        version: Build.description,
        subcommands: [Serve.self, Migrate.self, Seed.self, Users.self, APIKeys.self, Health.self, Profile.self],
        defaultSubcommand: Serve.self
    )
}

/// Loads settings (environment, then flags) and sets up logging; a bad value exits 2 with one line.
func loadConfiguration(_ overrides: [String: String] = [:]) throws -> (App.Configuration, Logger) {
    let config: App.Configuration
    do {
        config = try App.Configuration.load(environment: ProcessInfo.processInfo.environment, overrides: overrides)
    } catch {
        printError("concord: \(error)\n")
        throw ExitCode(2)
    }
    let level = Logger.Level(rawValue: config.logLevel) ?? .info
    let json = config.logFormat == .json
    LoggingSystem.bootstrap { label in ConcordLogHandler(label: label, level: level, json: json) }
    return (config, Logger(label: "concord"))
}

/// Runs `body` against the configured database (starting the embedded one when needed),
/// after applying migrations.
func withServices<T>(_ body: (UserService) throws -> T) throws -> T {
    var (config, logger) = try loadConfiguration()
    logger.logLevel = .warning
    let server = ConcordServer(configuration: config, logger: logger)
    do {
        return try server.withServices(body)
    } catch {
        printError("concord: \(error)\n")
        throw ExitCode(1)
    }
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the HTTP API (applies pending migrations first).")

    @Option(help: "Address to listen on (CONCORD_HOST).") var host: String?
    @Option(help: "Port to listen on (CONCORD_PORT).") var port: String?
    @Option(help: "I/O threads (CONCORD_IO_THREADS).") var ioThreads: String?
    @Option(help: "Worker threads (CONCORD_WORKERS).") var workers: String?
    @Option(help: "Database connections (CONCORD_DB_POOL_SIZE).") var dbPoolSize: String?
    @Option(help: "Largest request body in bytes (CONCORD_MAX_BODY_BYTES).") var maxBodyBytes: String?
    @Option(help: "Open connections past which new ones get 503 (CONCORD_MAX_CONNECTIONS).") var maxConnections: String?
    @Option(help: "Directory of the embedded PostgreSQL cluster (CONCORD_DATA_DIR).") var dataDir: String?
    @Option(help: "Log format, text or json (CONCORD_LOG_FORMAT).") var logFormat: String?
    @Option(help: "Log level (CONCORD_LOG_LEVEL).") var logLevel: String?
    @Option(help: "Requests per second per API key, 0 for no limit (CONCORD_RATE_LIMIT).") var rateLimit: String?
    @Option(help: "Requests at once per API key (CONCORD_RATE_LIMIT_BURST).") var rateLimitBurst: String?
    @Flag(help: "Do not apply pending migrations before serving.") var noMigrate = false

    func run() throws {
        var overrides: [String: String] = [:]
        overrides["CONCORD_HOST"] = host
        overrides["CONCORD_PORT"] = port
        overrides["CONCORD_IO_THREADS"] = ioThreads
        overrides["CONCORD_WORKERS"] = workers
        overrides["CONCORD_DB_POOL_SIZE"] = dbPoolSize
        overrides["CONCORD_MAX_BODY_BYTES"] = maxBodyBytes
        overrides["CONCORD_MAX_CONNECTIONS"] = maxConnections
        overrides["CONCORD_DATA_DIR"] = dataDir
        overrides["CONCORD_LOG_FORMAT"] = logFormat
        overrides["CONCORD_LOG_LEVEL"] = logLevel
        overrides["CONCORD_RATE_LIMIT"] = rateLimit
        overrides["CONCORD_RATE_LIMIT_BURST"] = rateLimitBurst
        let (config, logger) = try loadConfiguration(overrides)
        logger.info("starting", metadata: ["configuration": "\(config.printable.joined(separator: " "))"])
        let server = ConcordServer(configuration: config, logger: logger, migrate: !noMigrate)
        do {
            try server.start(terminationSignalFD: terminationSignals >= 0 ? terminationSignals : nil)
        } catch {
            logger.critical("could not start: \(error)")
            server.waitUntilStopped()
            throw ExitCode(1)
        }
        if let key = server.firstAdminKey {
            // Shown once, on the first start of an empty database; only its hash is stored.
            FirstAdminKey.deliver(key, configuration: config, port: server.port, logger: logger)
        }
        server.waitUntilStopped()
    }
}

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending migrations and exit.")

    func run() throws {
        var (config, logger) = try loadConfiguration()
        logger.logLevel = max(logger.logLevel, .info)
        do {
            let applied = try ConcordServer(configuration: config, logger: logger).migrateOnly()
            print(applied.isEmpty ? "schema is current" : "applied: \(applied.joined(separator: ", "))")
        } catch {
            printError("concord: \(error)\n")
            throw ExitCode(1)
        }
    }
}

struct Seed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Fill the database with demo data (--demo; running it again adds nothing) or synthetic customers (--customers N) and shipped order lines (--shipped-lines N)."
    )

    @Flag(help: "Seed the demo data set: warehouses, items, stock, customers, orders.") var demo = false
    @Option(help: "Add N synthetic customers (for load tests and benchmarks).") var customers: Int?
    @Flag(help: "With --customers: add them even when the database holds other customers.") var force = false
    @Option(help: "With --customers: the email of an existing user who owns --owned of them, spread evenly.")
    var owner: String?
    @Option(help: "With --owner: how many of the new customers they own (default 10000).") var owned: Int?
    @Option(help: "Add N shipped order lines (two per order) over the active customers, after --customers when given.")
    var shippedLines: Int?

    /// A usage mistake: one line and exit 2, as for a bad setting.
    func usageProblem() -> String? {
        if demo == (customers != nil || shippedLines != nil) {
            return "seed needs --demo, or --customers N and/or --shipped-lines N"
        }
        if let shippedLines, shippedLines < 1 || shippedLines > 100_000_000 {
            return "--shipped-lines must be from 1 to 100000000"
        }
        if let customers, customers < 1 || customers > 100_000_000 { return "--customers must be from 1 to 100000000" }
        if force && customers == nil { return "--force goes with --customers" }
        if owner != nil && customers == nil { return "--owner goes with --customers" }
        if owned != nil && owner == nil { return "--owned goes with --owner" }
        if let owned, owned < 1 { return "--owned must be at least 1" }
        return nil
    }

    func run() throws {
        if let problem = usageProblem() {
            printError("concord: \(problem)\n")
            throw ExitCode(2)
        }
        var (config, logger) = try loadConfiguration()
        logger.logLevel = .warning
        do {
            let server = ConcordServer(configuration: config, logger: logger)
            if let customers {
                let started = Date()
                let made = try server.seedCustomers(
                    count: customers, force: force, owner: owner, owned: owned ?? 10_000
                ) { done in
                    printError("concord: \(done) of \(customers) customers\n")
                }
                print(
                    "customers: \(made) synthetic customers added in \(tenths(Date().timeIntervalSince(started))) s"
                )
            }
            if let shippedLines {
                let started = Date()
                let made = try server.seedShippedLines(count: shippedLines) { done in
                    printError("concord: \(done) of \(shippedLines) shipped lines\n")
                }
                print(
                    "shipped lines: \(made) added in \(tenths(Date().timeIntervalSince(started))) s")
            }
            if demo {
                for line in try server.seedDemo() { print(line) }
            }
        } catch {
            printError("concord: \(error)\n")
            throw ExitCode(1)
        }
    }
}

/// For instruction counts (bench/README.md): one request answered many times in-process.
struct Profile: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Answer one GET request many times in this process, without sockets (for profilers).",
        shouldDisplay: false)

    @Argument(help: "The request target, such as /customers?limit=50.") var target: String
    @Option(help: "How many times to answer it (after one warm-up).") var times = 100

    func run() throws {
        var (config, logger) = try loadConfiguration()
        logger.logLevel = .warning
        do {
            let outcome = try ConcordServer(configuration: config, logger: logger).profileRequest(
                method: "GET", target: target, times: times)
            print("GET \(target): \(outcome.status), \(outcome.bytes) bytes, answered \(times) times")
        } catch {
            printError("concord: \(error)\n")
            throw ExitCode(1)
        }
    }
}

struct Users: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users", abstract: "Manage users.", subcommands: [Create.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a user.")
        @Option(help: "Display name.") var name: String
        @Option(help: "Email address (unique).") var email: String
        @Option(help: "admin, sales, warehouse, finance or readonly.") var role: String

        func run() throws {
            guard let parsedRole = Role(rawValue: role) else {
                printError("concord: --role must be one of: admin, sales, warehouse, finance, readonly\n")
                throw ExitCode(2)
            }
            let user = try withServices { try $0.createUser(name: name, email: email, role: parsedRole) }
            print("created user \(user.email) (\(user.role.rawValue)) id=\(user.id.uuidString.lowercased())")
        }
    }
}

struct APIKeys: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api-keys", abstract: "Manage API keys.", subcommands: [Create.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an API key and print it (only the key, on stdout).")
        @Option(help: "The email of the user who owns the key.") var user: String
        @Option(help: "A name for the key.") var name: String = "command line"

        func run() throws {
            let key = try withServices { try $0.issueKey(forEmail: user, name: name) }
            print(key)
        }
    }
}

struct Health: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Exit 0 when the server on this machine answers /healthz (for container health checks).")

    @Option(help: "The server's port (default: CONCORD_PORT, else 8080).")
    var port: Int?

    func run() throws {
        let configured = ProcessInfo.processInfo.environment["CONCORD_PORT"].flatMap(Int.init)
        guard HealthProbe.check(port: port ?? configured ?? 8080) else { throw ExitCode(1) }
    }
}

Concord.main()
