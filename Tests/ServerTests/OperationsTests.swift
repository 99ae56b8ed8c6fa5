import App
import Foundation
import Logging
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The operations endpoints of the composed application, over real sockets.
@Suite struct OperationsTests {
    static func start() throws -> ConcordServer {
        var configuration = Configuration()
        configuration.port = 0
        configuration.databaseURL = try TestCluster.freshDatabase()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let server = ConcordServer(configuration: configuration, logger: logger)
        try server.start()
        return server
    }

    @Test func healthz_andLivez_answerOK() throws {
        let server = try Self.start()
        defer { server.shutdown(); server.waitUntilStopped() }
        let client = try RawClient(port: server.port)
        for path in ["/healthz", "/livez"] {
            try client.send("GET \(path) HTTP/1.1\r\nHost: t\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.text == #"{"status":"ok"}"#)
            #expect(response.header("Content-Type") == "application/json")
            #expect(response.header("X-Request-Id") != nil)
        }
    }

    @Test func metrics_countRequestsByRouteTemplateAndStatus() throws {
        let server = try Self.start()
        defer { server.shutdown(); server.waitUntilStopped() }
        let client = try RawClient(port: server.port)
        try client.send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\nGET /nope/1 HTTP/1.1\r\nHost: t\r\n\r\n")
        _ = try client.readResponse()
        #expect(try client.readResponse().status == 404)
        try client.send("GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n")
        let metrics = try client.readResponse()
        #expect(metrics.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
        #expect(metrics.text.contains(#"concord_http_requests_total{method="GET",route="/healthz",status="200"} 1"#))
        #expect(metrics.text.contains(#"concord_http_requests_total{method="GET",route="unmatched",status="404"} 1"#))
        #expect(
            metrics.text.contains(
                #"concord_http_request_duration_seconds_bucket{method="GET",route="/healthz",status="200",le="+Inf"} 1"#
            ))
        #expect(metrics.text.contains("concord_http_requests_in_flight"))
    }

    /// A problem's `type` link leads to a description of its code, without a key.
    @Test func problemTypes_areServed_unknownOnesAre404() throws {
        let server = try Self.start()
        defer { server.shutdown(); server.waitUntilStopped() }
        let client = APIClient(port: server.port, key: "")
        let known = try client.get("/problems/payload-too-large")
        #expect(known.status == 200)
        #expect(known["code"]?.stringValue == "payload_too_large")
        #expect(known["status"]?.numberText == "413")
        #expect(known["type"]?.stringValue == "/problems/payload-too-large")
        let unknown = try client.get("/problems/no-such-thing")
        #expect(unknown.status == 404)
        #expect(unknown.code == "not_found")
    }

    @Test func openAPIDocument_isServedAsIs() throws {
        let server = try Self.start()
        defer { server.shutdown(); server.waitUntilStopped() }
        let client = try RawClient(port: server.port)
        try client.send("GET /openapi.yaml HTTP/1.1\r\nHost: t\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        let onDisk = try String(contentsOf: Self.repositoryRoot.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        #expect(response.text == onDisk)
        try client.send("GET /docs HTTP/1.1\r\nHost: t\r\n\r\n")
        let docs = try client.readResponse()
        #expect(docs.header("Content-Type") == "text/html; charset=utf-8")
        #expect(docs.text.contains("/openapi.yaml"))
    }

    /// A `/readyz` that reaches its handler after the shutdown started answers 503: one
    /// worker is held by a request waiting on a table lock, `/readyz` queues behind it, the
    /// shutdown starts, then the lock goes.
    @Test func readyz_turns503WhenShutdownStarts() throws {
        let app = try TestApp { $0.workers = 1 }
        defer { app.stop() }
        let ready = try RawClient(port: app.port)
        try ready.send("GET /readyz HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try ready.readResponse().status == 200)

        let lock = try TableLock("customers", databaseURL: app.databaseURL)
        let blocked = try RawClient(port: app.port, timeout: 20)
        try blocked.send("GET /customers HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer \(app.adminKey)\r\n\r\n")
        #expect(try lock.waitForWaiters(1), "the customer list never waited on the lock")
        try ready.send("GET /readyz HTTP/1.1\r\nHost: t\r\n\r\n")
        let metrics = app.client(key: "")
        #expect(
            try eventually { try metrics.get("/metrics").text.contains("\nconcord_http_requests_queued 1\n") },
            "/readyz never queued behind the blocked request")
        app.server.shutdown()
        try lock.release()
        #expect(try blocked.readResponse().status == 200)
        let answer = try ready.readResponse()
        #expect(answer.status == 503, "\(answer.status) \(answer.text)")
        #expect(answer.header("Retry-After") != nil)
        #expect(answer.text.contains("service_unavailable"))
    }

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }
}
