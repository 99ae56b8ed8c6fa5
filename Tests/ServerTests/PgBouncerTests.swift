import Foundation
import Postgres
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Concord through a real PgBouncer (Debian's package) in transaction mode: every transaction
/// may land on another server session, so statements prepared on one are missing on the next.
@Suite(.serialized) struct PgBouncerTests {
    /// PgBouncer in the foreground on a loopback port, in front of a fresh test database, with
    /// two server connections for many clients.
    final class Bouncer {
        let process = Process()
        let directory: String
        let port: Int

        init(database: String) throws {
            guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/pgbouncer") else {
                throw TestFailure("pgbouncer is not installed (scripts/install-deps.sh installs it)")
            }
            directory = "/tmp/concord-pgbouncer-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            port = try Self.freePort()
            // The database part of the test connection string: host (socket directory), port, dbname.
            let target = database.split(separator: " ").filter { !$0.hasPrefix("user=") }.joined(separator: " ")
            let ini = """
                [databases]
                concord = \(target) user=concord
                [pgbouncer]
                listen_addr = 127.0.0.1
                listen_port = \(port)
                unix_socket_dir =
                auth_type = trust
                auth_file = \(directory)/users.txt
                pool_mode = transaction
                default_pool_size = 2
                max_client_conn = 200
                logfile = \(directory)/pgbouncer.log
                """
            try ini.write(toFile: directory + "/pgbouncer.ini", atomically: true, encoding: .utf8)
            try "\"concord\" \"\"\n".write(toFile: directory + "/users.txt", atomically: true, encoding: .utf8)
            // PgBouncer refuses to run as root: then it runs as the account the test clusters use.
            if getuid() == 0 {
                _ = chmod(directory, 0o777)
                process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
                process.arguments = ["-u", "concord-pg", "--", "/usr/sbin/pgbouncer", directory + "/pgbouncer.ini"]
            } else {
                process.executableURL = URL(fileURLWithPath: "/usr/sbin/pgbouncer")
                process.arguments = [directory + "/pgbouncer.ini"]
            }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(10)
            while (try? PostgresConnection(connectionString: connectionString)) == nil {
                guard Date() < deadline, process.isRunning else {
                    let log = (try? String(contentsOfFile: directory + "/pgbouncer.log", encoding: .utf8)) ?? ""
                    throw TestFailure("pgbouncer did not start: \(log.suffix(500))")
                }
                usleep(50_000)
            }
        }

        var connectionString: String { "host=127.0.0.1 port=\(port) dbname=concord user=concord" }

        func stop() {
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
            try? FileManager.default.removeItem(atPath: directory)
        }

        static func freePort() throws -> Int {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                    guard bind(fd, pointer, length) == 0 else { return -1 }
                    return getsockname(fd, pointer, &length)
                }
            }
            guard bound == 0 else { throw TestFailure("no free port") }
            return Int(UInt16(bigEndian: address.sin_port))
        }
    }

    @Test func concordThroughPgBouncerInTransactionMode_preparedStatementsSurvive() throws {
        let bouncer = try Bouncer(database: try TestCluster.freshDatabase())
        defer { bouncer.stop() }
        // Eight Concord connections over two server sessions: each statement a connection
        // prepared is soon missing from the session its next transaction gets.
        let app = try TestApp(databaseURL: bouncer.connectionString)
        defer { app.stop() }
        let failures = Failures()
        let threads = (0..<6).map { worker in
            Thread {
                let client = app.client()
                for round in 0..<15 {
                    do {
                        let created = try client.post("/customers", #"{"name":"Pooled \#(worker)-\#(round)"}"#)
                        if created.status != 201 { failures.add("create: \(created)") }
                        let id = created["id"]?.stringValue ?? ""
                        let read = try client.get("/customers/\(id)")
                        if read.status != 200 || read["name"]?.stringValue != "Pooled \(worker)-\(round)" {
                            failures.add("read: \(read)")
                        }
                        let list = try client.get("/customers?limit=5&q=Pooled")
                        if list.status != 200 { failures.add("list: \(list)") }
                    } catch {
                        failures.add("\(error)")
                    }
                }
            }
        }
        threads.forEach { $0.start() }
        let deadline = Date().addingTimeInterval(120)
        while threads.contains(where: { !$0.isFinished }) && Date() < deadline { usleep(50_000) }
        #expect(failures.all.isEmpty, "\(failures.all.prefix(3))")
        let list = try app.client().get("/customers?limit=200&q=Pooled")
        #expect(list["data"]?.arrayValue?.count == 90)
        // Timestamps stay UTC: the session settings PgBouncer tracks follow each transaction.
        #expect(list["data"]?.arrayValue?.first?.objectValue?["created_at"]?.stringValue?.hasSuffix("Z") == true)
    }

    @Test func aConnection_thatLosesItsStatements_switchesToUnpreparedOnes() throws {
        let bouncer = try Bouncer(database: try TestCluster.freshDatabase())
        defer { bouncer.stop() }
        let client = try PostgresConnection(connectionString: bouncer.connectionString)
        let holder = try PostgresConnection(connectionString: bouncer.connectionString)
        defer {
            client.close()
            holder.close()
        }
        func check(_ n: Int) throws {
            let row = try client.query("SELECT \(n)::int + 1 AS v, current_setting('TimeZone') AS zone").first
            #expect(try row?.decode("v", as: Int.self) == n + 1)
            #expect(try row?.decode("zone", as: String.self) == "UTC")
        }
        try check(1)  // prepared on the one server session there is
        #expect(!client.behindTransactionPooler)
        // Another client's open transaction holds that session: the next query gets another one.
        try holder.execute(unsafeText: "BEGIN; SELECT 1")
        try check(2)
        try holder.execute(unsafeText: "COMMIT")
        #expect(client.behindTransactionPooler)
        for n in 3..<20 { try check(n) }
    }
}
