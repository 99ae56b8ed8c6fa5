import App
import Foundation
import TestSupport
import Testing

/// `CONCORD_BODY_TIMEOUT_MS` is its own setting: a stalled body is cut off by it, not by the
/// header deadline, through the whole application as configured from the environment.
@Suite struct BodyTimeoutTests {
    @Test func bodyTimeout_isReadFromItsOwnVariable_andRefusesBadValues() throws {
        let configuration = try Configuration.load(environment: [
            "CONCORD_HEADER_TIMEOUT": "30", "CONCORD_BODY_TIMEOUT_MS": "1500",
        ])
        #expect(configuration.headerReadTimeout == 30)
        #expect(configuration.bodyReadTimeout == 1.5)
        #expect(configuration.printable.contains("CONCORD_BODY_TIMEOUT_MS=1500"))
        #expect(throws: Configuration.Invalid.self) {
            try Configuration.load(environment: ["CONCORD_BODY_TIMEOUT_MS": "0"])
        }
        #expect(throws: Configuration.Invalid.self) {
            try Configuration.load(environment: ["CONCORD_BODY_TIMEOUT_MS": "1.5s"])
        }
    }

    @Test func stalledBody_getsA408AfterTheBodyTimeout_notTheHeaderTimeout() throws {
        let loaded = try Configuration.load(environment: [
            "CONCORD_HEADER_TIMEOUT": "30", "CONCORD_BODY_TIMEOUT_MS": "600",
        ])
        let app = try TestApp { configuration in
            configuration.headerReadTimeout = loaded.headerReadTimeout
            configuration.bodyReadTimeout = loaded.bodyReadTimeout
        }
        defer { app.stop() }
        let client = try RawClient(port: app.port, timeout: 10)
        let started = Date()
        try client.send(
            "POST /customers HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer \(app.adminKey)\r\n"
                + "Content-Type: application/json\r\nContent-Length: 40\r\n\r\n{\"name\":")
        let response = try client.readResponse()
        let elapsed = Date().timeIntervalSince(started)
        #expect(response.status == 408)
        #expect(elapsed >= 0.5 && elapsed < 5, "cut off after \(elapsed) s")
        #expect(client.isClosedByPeer())
    }
}
