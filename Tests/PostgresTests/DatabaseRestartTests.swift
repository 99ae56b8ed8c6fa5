import Foundation
import Postgres
import TestSupport
import Testing

/// The database stopped and started under a running server: requests fail fast with 503,
/// `/readyz` flips, and service comes back by itself.
@Suite struct DatabaseRestartTests {
    @Test func serverRecovers_afterDatabaseRestart_withoutRestartingItself() throws {
        let cluster = try EmbeddedPostgres.throwaway()
        defer { cluster.destroy() }
        try cluster.createDatabase("concord")
        let url = cluster.connectionString.replacingOccurrences(of: "dbname=postgres", with: "dbname=concord")
        let app = try TestApp(databaseURL: url)
        defer { app.stop() }
        let client = app.client()
        #expect(try client.get("/me").status == 200)
        #expect(try client.get("/readyz").status == 200)

        cluster.stop()
        let started = Date()
        let down = try client.get("/me")
        #expect(down.status == 503)
        #expect(down.header("Retry-After") != nil)
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(try client.get("/readyz").status == 503)
        #expect(try client.get("/healthz").status == 200)

        _ = try cluster.start()
        var recovered = false
        for _ in 0..<50 {
            if try client.get("/me").status == 200 { recovered = true; break }
            usleep(200_000)
        }
        #expect(recovered)
        #expect(try client.get("/readyz").status == 200)
    }
}
