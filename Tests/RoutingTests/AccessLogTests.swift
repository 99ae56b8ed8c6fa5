import HTTP
import Logging
import Synchronization
import Testing

@testable import Core
@testable import Routing

/// What the access log is told about each request, through a sink and through swift-log.
@Suite struct AccessLogTests {
    /// Records every log event it is given.
    final class Capture: LogHandler, @unchecked Sendable {
        let events = Mutex<[(Logger.Level, String, Logger.Metadata)]>([])
        var logLevel: Logger.Level = .info
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            events.withLock { $0.append((event.level, event.message.description, event.metadata ?? [:])) }
        }
    }

    static func application(logger: Logger, sink: AccessLogMiddleware.Sink?) -> Application {
        var router = RouterBuilder()
        router.get("/customers/{id}", access: .open) { request in .text("id=\(request.parameter("id"))") }
        router.get("/healthz", access: .open) { _ in .text("ok") }
        var quiet = Logger(label: "errors")
        quiet.logLevel = .critical
        return Application(
            router: router.build(),
            middleware: [
                RequestIDMiddleware(), AccessLogMiddleware(logger: logger, sink: sink), ErrorMiddleware(logger: quiet),
            ], logger: quiet)
    }

    static func get(_ app: Application, _ target: String) -> HTTPResponse {
        app.respond(
            to: HTTPRequest(
                head: HTTPRequestHead(method: "GET", target: target, version: .http1_1, headers: ["Host": "t"])))
    }

    @Test func sink_getsOneRecordPerRequest_withTheRouteTemplate_probesAtDebugOnlyWhenEnabled() {
        let records = Mutex<[AccessRecord]>([])
        let capture = Capture()
        let logger = Logger(label: "t") { _ in capture }
        let app = Self.application(logger: logger, sink: { record in records.withLock { $0.append(record) } })
        let found = Self.get(app, "/customers/42")
        _ = Self.get(app, "/nowhere")
        _ = Self.get(app, "/healthz")  // debug, below the logger's level
        let seen = records.withLock { $0 }
        #expect(seen.count == 2)
        #expect(seen.first?.route == "/customers/{id}")
        #expect(seen.first?.status == 200)
        #expect(seen.first?.method == "GET")
        #expect(seen.first?.bytes == found.body.count)
        #expect(seen.first?.level == .info)
        #expect(seen.first.map { $0.durationMilliseconds >= 0 } == true)
        #expect(seen.first?.requestID == found.headers["X-Request-Id"])
        #expect(seen.last?.route == "unmatched")
        #expect(seen.last?.status == 404)
        // With a sink, nothing goes through swift-log.
        #expect(capture.events.withLock { $0.isEmpty })
    }

    @Test func withoutASink_theRecordGoesToTheLogger_asMetadata() {
        let capture = Capture()
        capture.logLevel = .debug
        var logger = Logger(label: "t") { _ in capture }
        logger.logLevel = .debug
        let app = Self.application(logger: logger, sink: nil)
        _ = Self.get(app, "/customers/7")
        _ = Self.get(app, "/healthz")
        let events = capture.events.withLock { $0 }
        #expect(events.count == 2)
        #expect(events.first?.1 == "request")
        #expect(events.first?.0 == .info)
        #expect(events.first?.2["route"] == "/customers/{id}")
        #expect(events.first?.2["status"] == .stringConvertible(200), "a number, so JSON lines write it as one")
        #expect(
            Set(events.first?.2.keys.map { $0 } ?? []) == [
                "method", "route", "status", "bytes", "duration_ms", "request_id",
            ])
        #expect(events.last?.0 == .debug)
        #expect(events.last?.2["route"] == "/healthz")
    }
}
