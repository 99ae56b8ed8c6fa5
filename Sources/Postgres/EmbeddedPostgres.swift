import CLinuxShims
import Core
import FoundationEssentials
import Glibc

/// A PostgreSQL cluster that Concord owns: created with `initdb` on first start, served by the
/// system's `postgres` on a Unix socket only (no TCP port to collide with or expose), and
/// stopped with the process that started it. This is what `make run` uses when no
/// `DATABASE_URL` is set, and what the test suite uses as its throwaway database.
///
/// Layout under `directory`: `postgres/` (the data directory), `run/` (the socket),
/// `postgres.log` (the server's log).
public final class EmbeddedPostgres: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    public let directory: String
    /// The socket's port number (it only names the socket file; nothing listens on TCP).
    public let port: Int
    /// Extra `postgresql.conf` settings passed at every start.
    private let settings: [String: String]
    private let removeOnStop: Bool
    private let log: @Sendable (String) -> Void
    private let lock = Lock()
    private var startedHere = false

    /// The account the server runs as when this process is root (PostgreSQL refuses root).
    static let serviceUser = "concord-pg"
    static let databaseUser = "concord"

    public init(
        directory: String, port: Int = 5432, settings: [String: String] = [:],
        logger: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.directory = URL(fileURLWithPath: directory).standardizedFileURL.path
        self.port = port
        self.settings = settings
        self.removeOnStop = false
        self.log = logger
    }

    private init(throwawayDirectory: String, settings: [String: String]) {
        directory = throwawayDirectory
        port = 5432
        self.settings = settings
        removeOnStop = true
        log = { _ in }
    }

    var dataDirectory: String { directory + "/postgres" }
    var logFile: String { directory + "/postgres.log" }

    /// The socket directory. Unix socket paths are limited to 107 bytes, so a deep `directory`
    /// gets its socket under /tmp instead, named after the directory so it stays stable.
    public var socketDirectory: String {
        let local = directory + "/run"
        if (local + "/.s.PGSQL.\(port)").utf8.count <= 100 { return local }
        let digest = directory.utf8.reduce(UInt64(14_695_981_039_346_656_037)) {
            ($0 ^ UInt64($1)) &* 1_099_511_628_211
        }
        return "/tmp/concord-pg-" + String(digest, radix: 16)
    }

    /// libpq connection string for the `postgres` database.
    public var connectionString: String {
        "host=\(socketDirectory) port=\(port) user=\(Self.databaseUser) dbname=postgres"
    }

    /// A cluster for one test process: in a fresh temporary directory, durability switched off
    /// (it is thrown away), removed by `destroy()`. Clusters left behind by killed test processes
    /// are stopped and removed first.
    public static func throwaway() throws -> EmbeddedPostgres {
        sweepAbandonedThrowaways()
        let base = "/tmp/concord-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        try "\(getpid())".write(toFile: base + "/owner.pid", atomically: true, encoding: .utf8)
        let cluster = EmbeddedPostgres(
            throwawayDirectory: base,
            settings: [
                "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
                "max_connections": "400", "shared_buffers": "64MB",
            ])
        _ = try cluster.start()
        return cluster
    }

    /// A streaming standby of this running cluster, made with `pg_basebackup -R` in a fresh
    /// throwaway directory and started (it follows this cluster over its socket): for tests of
    /// read replicas. `destroy()` removes it.
    public func throwawayStandby() throws -> EmbeddedPostgres {
        let base = "/tmp/concord-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        try "\(getpid())".write(toFile: base + "/owner.pid", atomically: true, encoding: .utf8)
        let standby = EmbeddedPostgres(throwawayDirectory: base, settings: settings)
        let binaries = try Self.binaries()
        let runAs = try Self.serviceAccount()
        try standby.prepareDirectories(owner: runAs)
        // Beside the real pg_ctl (PATH may hold only links to initdb and pg_ctl).
        let basebackup =
            URL(fileURLWithPath: binaries.pgCtl).resolvingSymlinksInPath().deletingLastPathComponent().path
            + "/pg_basebackup"
        try standby.run(
            basebackup, ["-D", standby.dataDirectory, "-R", "-X", "stream", "-c", "fast", "-d", connectionString],
            as: runAs)
        _ = try standby.start()
        return standby
    }

    /// Starts the cluster (creating it on first use) and returns the `postgres` database's
    /// connection string. A cluster already running in `directory` (another Concord process
    /// on the same data directory) is used as it is and left running by `stop()`.
    @discardableResult
    public func start() throws -> String {
        try lock.withLock {
            let binaries = try Self.binaries()
            let runAs = try Self.serviceAccount()
            try prepareDirectories(owner: runAs)
            // Several Concord processes may start on one data directory at once: one creates and
            // starts the cluster, the others find it running.
            let lockFD = open(directory + "/concord.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard lockFD >= 0, flock(lockFD, LOCK_EX) == 0 else {
                throw Failure(message: "cannot lock \(directory)/concord.lock: \(String(cString: strerror(errno)))")
            }
            defer { close(lockFD) }
            if !FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION") {
                log("creating PostgreSQL cluster in \(dataDirectory)")
                try run(
                    binaries.initdb,
                    [
                        "-D", dataDirectory, "-U", Self.databaseUser, "--auth=trust", "-E", "UTF8", "--no-locale",
                        "--no-instructions",
                    ], as: runAs)
            }
            if try isRunning(binaries: binaries, as: runAs) {
                if let owner = ownerProcess(), kill(owner, 0) == 0 || errno == EPERM {
                    log("PostgreSQL already running in \(dataDirectory), shared with process \(owner)")
                } else {
                    // The Concord that started it is gone (it crashed or was killed): this one
                    // takes the cluster over and stops it when it stops.
                    log("PostgreSQL left running in \(dataDirectory) by a previous run; taking it over")
                    recordOwner()
                    startedHere = true
                }
                return connectionString
            }
            var options = "-c listen_addresses='' -p \(port) -k \(socketDirectory)"
            for (name, value) in settings.sorted(by: { $0.key < $1.key }) { options += " -c \(name)=\(value)" }
            do {
                try run(
                    binaries.pgCtl, ["start", "-w", "-t", "60", "-D", dataDirectory, "-l", logFile, "-o", options],
                    as: runAs)
            } catch {
                throw Failure(message: "PostgreSQL did not start: \(lastLogLines()) (log: \(logFile))")
            }
            recordOwner()
            startedHere = true
            return connectionString
        }
    }

    /// Stops the cluster if this object started it, after its sessions end and its data is
    /// on disk.
    public func stop() { stop(mode: "fast") }

    private func stop(mode: String) {
        lock.withLock {
            guard startedHere, let binaries = try? Self.binaries(), let runAs = try? Self.serviceAccount() else {
                return
            }
            _ = try? run(binaries.pgCtl, ["stop", "-w", "-t", "60", "-D", dataDirectory, "-m", mode], as: runAs)
            startedHere = false
        }
    }

    /// Stops a throwaway cluster at once (its data is about to go) and deletes its files.
    public func destroy() {
        guard removeOnStop else { return stop() }
        stop(mode: "immediate")
        try? FileManager.default.removeItem(atPath: directory)
        if socketDirectory.hasPrefix("/tmp/concord-pg-") {
            try? FileManager.default.removeItem(atPath: socketDirectory)
        }
    }

    /// The process that started the running cluster (`owner.pid`), so a later run can tell a
    /// sibling sharing the cluster from one that crashed and left it behind.
    private var ownerFile: String { directory + "/owner.pid" }

    private func ownerProcess() -> pid_t? {
        guard let text = try? String(contentsOfFile: ownerFile, encoding: .utf8) else { return nil }
        return pid_t(text.trimmed())
    }

    private func recordOwner() {
        try? "\(getpid())\n".write(toFile: ownerFile, atomically: true, encoding: .utf8)
    }

    /// Creates a database, optionally as a copy of `template`.
    public func createDatabase(_ name: String, template: String? = nil) throws {
        let connection = try PostgresConnection(connectionString: connectionString)
        defer { connection.close() }
        var statement = "CREATE DATABASE \"\(name.replacingAll("\"", with: "\"\""))\""
        if let template { statement += " TEMPLATE \"\(template.replacingAll("\"", with: "\"\""))\"" }
        try connection.execute(unsafeText: statement)
    }

    // MARK: - Processes

    struct Binaries {
        let initdb: String
        let pgCtl: String
    }

    /// `initdb` and `pg_ctl` from PATH, else from the newest /usr/lib/postgresql/<version>/bin
    /// (Debian keeps them off PATH).
    static func binaries() throws -> Binaries {
        let fileManager = FileManager.default
        var candidates: [String] = []
        if let directory = ProcessInfo.processInfo.environment["CONCORD_PG_BIN"] { candidates.append(directory) }
        candidates += (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        if let versions = try? fileManager.contentsOfDirectory(atPath: "/usr/lib/postgresql") {
            let sorted = versions.compactMap(Int.init).sorted(by: >)
            candidates += sorted.map { "/usr/lib/postgresql/\($0)/bin" }
        }
        for directory in candidates {
            let initdb = directory + "/initdb", pgCtl = directory + "/pg_ctl"
            if fileManager.isExecutableFile(atPath: initdb), fileManager.isExecutableFile(atPath: pgCtl) {
                return Binaries(initdb: initdb, pgCtl: pgCtl)
            }
        }
        throw Failure(message: "PostgreSQL not found: apt-get install postgresql, or set DATABASE_URL")
    }

    /// nil when this process may run PostgreSQL itself; the service account when it is root.
    static func serviceAccount() throws -> String? {
        guard geteuid() == 0 else { return nil }
        if getpwnam(serviceUser) == nil {
            let status = try execute(
                "/usr/sbin/useradd",
                [
                    "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent", "--shell",
                    "/usr/sbin/nologin", serviceUser,
                ])
            if status.code != 0, getpwnam(serviceUser) == nil {
                throw Failure(message: "cannot create the \(serviceUser) account PostgreSQL runs as: \(status.output)")
            }
        }
        return serviceUser
    }

    private func prepareDirectories(owner: String?) throws {
        let fileManager = FileManager.default
        for path in [directory, dataDirectory, socketDirectory] {
            try fileManager.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        try fileManager.setAttributes([.posixPermissions: 0o700], ofItemAtPath: dataDirectory)
        if let owner, let account = getpwnam(owner) {
            let uid = account.pointee.pw_uid, gid = account.pointee.pw_gid
            for path in [directory, dataDirectory, socketDirectory] where Self.ownerID(path) != uid {
                _ = try Self.execute("/bin/chown", ["-R", "\(uid):\(gid)", path])
            }
            if fileManager.fileExists(atPath: logFile) { chown(logFile, uid, gid) }
            // The service account must be able to reach the directory through its parents.
            if access(directory, X_OK) == 0,
                (try? Self.execute("/usr/sbin/runuser", ["-u", owner, "--", "/usr/bin/test", "-w", directory]))?.code
                    != 0
            {
                throw Failure(
                    message:
                        "\(directory) is not reachable by the \(owner) account PostgreSQL runs as; choose a CONCORD_DATA_DIR under a world-traversable path"
                )
            }
        }
    }

    private static func ownerID(_ path: String) -> uid_t? {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_uid : nil
    }

    private func isRunning(binaries: Binaries, as user: String?) throws -> Bool {
        let status = try Self.execute(binaries.pgCtl, ["status", "-D", dataDirectory], as: user)
        return status.code == 0
    }

    private func run(_ executable: String, _ arguments: [String], as user: String?) throws {
        let status = try Self.execute(executable, arguments, as: user)
        if status.code != 0 {
            throw Failure(
                message:
                    "\(executable.split(separator: "/").last ?? "") failed (\(status.code)): \(status.output.trimmed())"
            )
        }
    }

    private func lastLogLines() -> String {
        guard let text = try? String(contentsOfFile: logFile, encoding: .utf8) else { return "no log" }
        return text.split(separator: "\n").suffix(3).joined(separator: " | ")
    }

    /// Runs a program to completion, its output collected through a file: `pg_ctl start`
    /// leaves a daemon behind, which must inherit none of our descriptors (Foundation's
    /// `Process` would wait on one of them forever) nor our blocked signals.
    static func execute(_ executable: String, _ arguments: [String], as user: String? = nil) throws -> (
        code: Int32, output: String
    ) {
        let argv = user.map { ["/usr/sbin/runuser", "-u", $0, "--", executable] } ?? [executable]
        var environment = ProcessInfo.processInfo.environment
        environment["LC_ALL"] = "C"
        environment.removeValue(forKey: "PGDATA")
        let envp = environment.map { "\($0.key)=\($0.value)" }
        let outputPath =
            FileManager.default.temporaryDirectory.path
            + "/concord-pgctl-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).out"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var status: Int32 = 0
        let result = withCStrings(argv + arguments) { argvPointers in
            withCStrings(envp) { envPointers in
                cshim_run_to_completion(argvPointers[0], argvPointers, envPointers, outputPath, &status)
            }
        }
        guard result == 0 else {
            throw Failure(message: "cannot run \(argv[0]): \(String(cString: strerror(result)))")
        }
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return (status, text)
    }

    /// A NULL-terminated C string array valid for the duration of `body`.
    private static func withCStrings<Result>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> Result)
        -> Result
    {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        return body(pointers)
    }

    /// Stops and deletes throwaway clusters whose test process is gone.
    static func sweepAbandonedThrowaways() {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/tmp") else { return }
        for entry in entries where entry.hasPrefix("concord-test-") {
            let path = "/tmp/" + entry
            guard let text = try? String(contentsOfFile: path + "/owner.pid", encoding: .utf8),
                let pid = Int32(text.trimmed()),
                kill(pid, 0) != 0, errno == ESRCH
            else { continue }
            if let binaries = try? binaries() {
                let user = try? serviceAccount()
                _ = try? execute(
                    binaries.pgCtl, ["stop", "-D", path + "/postgres", "-m", "immediate"], as: user ?? nil)
            }
            try? FileManager.default.removeItem(atPath: path)
        }
    }
}
