import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The real `concord` binary: it starts, serves, and stops cleanly on SIGTERM and SIGINT.
@Suite struct ExecutableTests {
    /// The `concord` built beside the test bundle (`swift build --build-tests` builds both).
    static var binary: URL {
        ConcordBinary.url
    }

    final class Running {
        let process = Process()
        let stderr = Pipe()
        let stdout = Pipe()
        var port = 0
        /// The data directory unless a test names one; removed with this value.
        let scratchDirectory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "concord-run-\(UUID().uuidString)"
        ).path

        /// A server a failed expectation left running is stopped (and with it the embedded
        /// PostgreSQL it started) before its data directory goes.
        deinit {
            if process.isRunning {
                kill(process.processIdentifier, SIGTERM)
                if !exited(within: 15) { process.waitUntilExit() }
            }
            try? FileManager.default.removeItem(atPath: scratchDirectory)
        }

        /// Waits for the process to exit, at most `seconds` (then kills it): true if it exited by itself.
        func exited(within seconds: Double = 30) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while process.isRunning, Date() < deadline { usleep(20_000) }
            guard process.isRunning else { return true }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return false
        }

        init(environment: [String: String] = [:], arguments: [String] = ["serve", "--port", "0"]) throws {
            process.executableURL = ExecutableTests.binary
            process.arguments = arguments
            var env = ProcessInfo.processInfo.environment
            // Never the repository's ./.concord: a first start writes its admin key file there.
            env["CONCORD_DATA_DIR"] = scratchDirectory
            for (key, value) in environment { env[key] = value.isEmpty ? nil : value }  // "" unsets
            process.environment = env
            process.currentDirectoryURL = OperationsTests.repositoryRoot
            process.standardError = stderr
            process.standardOutput = stdout
            try process.run()
        }

        /// Reads the log until the `listening` line and returns its port.
        func waitForPort() throws -> Int {
            var text = ""
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                let data = stderr.fileHandleForReading.availableData
                if data.isEmpty { break }
                text += String(decoding: data, as: UTF8.self)
                if let range = text.range(of: #"address=http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                    port = Int(text[range].split(separator: ":").last!)!
                    return port
                }
            }
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "no listening line in: \(text)"])
        }
    }

    /// The signal arrives while a request is in flight (its worker waits on a table lock): the
    /// server stops accepting, answers that request once the lock goes, and exits 0.
    @Test(arguments: [SIGTERM, SIGINT])
    func signal_stopsServerCleanly_afterInFlightRequest(_ signal: Int32) throws {
        let databaseURL = try TestCluster.freshDatabase()
        let key = TestApp.newKey()
        let running = try Running(environment: [
            "CONCORD_LOG_LEVEL": "info", "DATABASE_URL": databaseURL, "CONCORD_ADMIN_API_KEY": key,
        ])
        let port = try running.waitForPort()
        let lock = try TableLock("customers", databaseURL: databaseURL)
        let client = try RawClient(port: port, timeout: 20)
        try client.send("GET /customers HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer \(key)\r\n\r\n")
        #expect(try lock.waitForWaiters(1), "the request never reached the database")
        kill(running.process.processIdentifier, signal)
        // Draining has begun once the listener refuses new connections.
        #expect(
            eventually { (try? RawClient(port: port, timeout: 1)) == nil }, "the server kept accepting after the signal"
        )
        #expect(running.process.isRunning, "the server exited with a request in flight")
        try lock.release()
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.header("Connection") == "close")
        running.process.waitUntilExit()
        #expect(running.process.terminationStatus == 0)
        #expect(running.process.terminationReason == .exit)
    }

    @Test func badSetting_stopsStartupWithOneLineNamingIt() throws {
        let running = try Running(environment: ["CONCORD_PORT": "eighty"], arguments: ["serve"])
        running.process.waitUntilExit()
        let output = String(decoding: running.stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(running.process.terminationStatus == 2)
        #expect(output == "concord: invalid CONCORD_PORT: expected an integer from 0 to 65535\n")

        let flag = try Running(environment: ["CONCORD_SCHED_BATCH": "yes"], arguments: ["serve"])
        flag.process.waitUntilExit()
        #expect(flag.process.terminationStatus == 2)
        #expect(
            String(decoding: flag.stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                == "concord: invalid CONCORD_SCHED_BATCH: expected true or false\n")

        let flagged = try Running(arguments: ["serve", "--workers", "0"])
        flagged.process.waitUntilExit()
        let flaggedOutput = String(decoding: flagged.stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(flagged.process.terminationStatus == 2)
        #expect(flaggedOutput.contains("CONCORD_WORKERS"))
    }

    /// `make run` on a fresh machine: no DATABASE_URL, so the server creates its own cluster in
    /// the data directory, hands over a working admin key once (standard output is a pipe here,
    /// so in `admin-api-key` beside the cluster), and stops the cluster on SIGTERM.
    @Test func embeddedDefault_createsItsDatabase_givesAWorkingAdminKey_andStopsIt() throws {
        let dataDirectory = "/tmp/concord-embedded-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        let running = try Running(environment: [
            "CONCORD_LOG_LEVEL": "info", "CONCORD_DATA_DIR": dataDirectory, "DATABASE_URL": "",
        ])
        let port = try running.waitForPort()
        let keyFile = dataDirectory + "/admin-api-key"
        #expect(eventually(timeout: 10) { FileManager.default.fileExists(atPath: keyFile) })
        let key = try String(contentsOfFile: keyFile, encoding: .utf8).trimmingCharacters(in: .newlines)
        let me = try APIClient(port: port, key: key).get("/me")
        #expect(me.status == 200)
        #expect(me["role"]?.stringValue == "admin")
        #expect(FileManager.default.fileExists(atPath: dataDirectory + "/postgres/postmaster.pid"))
        kill(running.process.processIdentifier, SIGTERM)
        running.process.waitUntilExit()
        #expect(running.process.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: dataDirectory + "/postgres/postmaster.pid"))
    }

    /// A run that crashes leaves its PostgreSQL running; the next run takes it over, serves,
    /// and stops it on SIGTERM.
    @Test func embeddedCluster_leftByACrashedRun_isTakenOverAndStopped() throws {
        let dataDirectory = "/tmp/concord-embedded-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        let environment = ["CONCORD_LOG_LEVEL": "info", "CONCORD_DATA_DIR": dataDirectory, "DATABASE_URL": ""]
        let crashed = try Running(environment: environment)
        _ = try crashed.waitForPort()
        kill(crashed.process.processIdentifier, SIGKILL)
        crashed.process.waitUntilExit()
        #expect(FileManager.default.fileExists(atPath: dataDirectory + "/postgres/postmaster.pid"))

        let next = try Running(environment: environment)
        let port = try next.waitForPort()
        let client = try RawClient(port: port)
        try client.send("GET /readyz HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        kill(next.process.processIdentifier, SIGTERM)
        next.process.waitUntilExit()
        #expect(next.process.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: dataDirectory + "/postgres/postmaster.pid"))
    }
}
