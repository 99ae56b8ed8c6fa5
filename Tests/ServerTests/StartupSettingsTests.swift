import App
import Core
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Settings that start-up refuses rather than ignore, and where the first admin key goes.
@Suite struct StartupSettingsTests {
    /// Replica settings: comma-separated URLs, the two windows, and what each refuses.
    @Test func replicaSettings_areParsed_andBadOnesStopStartUp() throws {
        let config = try Configuration.load(environment: [
            "DATABASE_READ_URL": "postgres://reader@10.0.0.2/concord,host=/run/replica2 dbname=concord",
            "CONCORD_READ_YOUR_WRITES_MS": "500", "CONCORD_REPLICA_MAX_LAG_MS": "1500",
        ])
        #expect(config.databaseReadURLs == ["postgres://reader@10.0.0.2/concord", "host=/run/replica2 dbname=concord"])
        #expect(config.readYourWritesMilliseconds == 500)
        #expect(config.replicaMaxLagMilliseconds == 1_500)
        let defaults = try Configuration.load(environment: [:])
        #expect(defaults.databaseReadURLs.isEmpty)
        #expect(defaults.readYourWritesMilliseconds == 2_000)
        #expect(defaults.replicaMaxLagMilliseconds == 5_000)
        for (name, value) in [
            ("DATABASE_READ_URL", "replica.example"), ("DATABASE_READ_URL", " , "),
            ("CONCORD_READ_YOUR_WRITES_MS", "-1"), ("CONCORD_REPLICA_MAX_LAG_MS", "0"),
        ] {
            #expect {
                try Configuration.load(environment: [name: value])
            } throws: { error in
                "\(error)".hasPrefix("invalid \(name): expected ")
            }
        }
    }

    /// With standard output not a terminal (here a pipe, as under a container runtime or a
    /// service manager), the first admin key goes to `CONCORD_DATA_DIR/admin-api-key` (0600);
    /// the log says only where, and stays one JSON object per line.
    @Test func firstAdminKey_withoutATerminal_goesToA0600File_andTheLogHasOnlyItsPath() throws {
        let dataDirectory = "/tmp/concord-keyfile-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        let running = try ExecutableTests.Running(environment: [
            "DATABASE_URL": try TestCluster.freshDatabase(), "CONCORD_DATA_DIR": dataDirectory,
            "CONCORD_ADMIN_API_KEY": "",
            "CONCORD_LOG_FORMAT": "json", "CONCORD_LOG_LEVEL": "info",
        ])
        let path = dataDirectory + "/admin-api-key"
        // The log is collected in the background, so a server that never writes the line
        // fails the test instead of blocking a read.
        let collected = Locked("")
        running.stderr.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            collected.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        defer { running.stderr.fileHandleForReading.readabilityHandler = nil }
        let started = eventually(timeout: 30) {
            collected.withLock { $0.contains("listening") } && FileManager.default.fileExists(atPath: path)
        }
        if !started { kill(running.process.processIdentifier, SIGKILL) }
        try #require(started, "no key file after start; log: \(collected.withLock { $0 })")
        var log = collected.withLock { $0 }
        let portText = try #require(
            log.range(of: #"http://127\.0\.0\.1:\d+"#, options: .regularExpression).map { String(log[$0]) })
        let port = try #require(Int(portText.split(separator: ":").last!))
        let key = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .newlines)
        #expect(key.range(of: #"^ck_[A-Za-z0-9]{8}_[A-Za-z0-9]{40}$"#, options: .regularExpression) != nil, "\(key)")
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        #expect(mode == 0o600)
        #expect(try APIClient(port: port, key: key).get("/me")["role"] == "admin")

        kill(running.process.processIdentifier, SIGTERM)
        running.process.waitUntilExit()
        _ = eventually(timeout: 2) { collected.withLock { $0.contains("stopped") } }
        log = collected.withLock { $0 }
        let stdout = String(decoding: running.stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(!log.contains(key) && !stdout.contains(key), "the key is in no log line and not on a piped stdout")
        let secret = String(key.split(separator: "_")[2])
        #expect(!log.contains(secret))
        for line in log.split(separator: "\n") {
            #expect((try? JSONParser.parse(Array(line.utf8)))?.objectValue != nil, "not one JSON object: \(line)")
        }
        #expect(log.split(separator: "\n").contains { $0.contains("admin API key") && $0.contains(path) })
    }
}
