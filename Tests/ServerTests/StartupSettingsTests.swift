#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestSupport
import Testing

/// Settings that start-up refuses rather than ignore, and where the first admin key goes.
@Suite struct StartupSettingsTests {
    /// A read replica URL would be parsed and never used: start-up stops with one line instead.
    @Test func databaseReadURL_stopsStartup_sayingReplicasAreNotSupported() throws {
        let running = try ExecutableTests.Running(environment: ["DATABASE_READ_URL": "postgres://reader@127.0.0.1:5433/concord"],
                                                  arguments: ["serve"])
        running.process.waitUntilExit()
        let output = String(decoding: running.stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(running.process.terminationStatus == 2)
        #expect(output == "concord: DATABASE_READ_URL is set, but read replicas are not supported by this version; unset it to start\n")
    }
}
