import Core
import Foundation
import Logging
import Routing
import Testing

@testable import App

/// The lines `ConcordLogHandler` writes: what log shippers and people grepping stderr read.
@Suite struct LogLineTests {
    let time = "2026-11-22T09:30:00.000Z"

    func event(_ message: Logger.Message, _ metadata: Logger.Metadata?, level: Logger.Level = .info) -> LogEvent {
        LogEvent(
            level: level, message: message, metadata: metadata, source: "test", file: #fileID, function: #function,
            line: #line)
    }

    func text(_ handler: ConcordLogHandler, _ event: LogEvent) -> String {
        String(decoding: handler.line(for: event, at: time), as: UTF8.self)
    }

    @Test func text_keysSorted_valuesThatWouldBreakTheLineQuoted() {
        let handler = ConcordLogHandler(label: "t", level: .info, json: false)
        let line = text(
            handler,
            event(
                "request",
                [
                    "status": "200", "route": "/customers/{id}", "detail": "two words", "quote": #"a"b"#,
                    "newline": "x\ny", "count": .stringConvertible(42), "empty": "",
                ]))
        #expect(
            line
                == #"2026-11-22T09:30:00.000Z info request count=42 detail="two words" empty= newline="x\ny" quote="a\"b" route=/customers/{id} status=200"#
                + "\n")
    }

    @Test func text_recordMetadataWinsOverTheHandlers() {
        var handler = ConcordLogHandler(label: "t", level: .info, json: false)
        handler[metadataKey: "instance"] = "a"
        handler[metadataKey: "status"] = "handler"
        #expect(
            text(handler, event("stopped", ["status": "record"], level: .warning))
                == "2026-11-22T09:30:00.000Z warning stopped instance=a status=record\n")
        #expect(text(handler, event("plain", nil)) == "2026-11-22T09:30:00.000Z info plain instance=a status=handler\n")
    }

    @Test func json_isOneValidObjectPerLine_withEveryField() throws {
        let handler = ConcordLogHandler(label: "t", level: .info, json: true)
        let bytes = handler.line(
            for: event(
                "failed \"badly\"\n",
                [
                    "error": "tab\there \u{1} \u{7F} ünï", "attempt": .stringConvertible(3), "list": ["a", "b"],
                ], level: .error), at: time)
        #expect(bytes.last == UInt8(ascii: "\n"))
        #expect(bytes.dropLast().contains(UInt8(ascii: "\n")) == false)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(object["time"] as? String == time)
        #expect(object["level"] as? String == "error")
        #expect(object["message"] as? String == "failed \"badly\"\n")
        #expect(object["error"] as? String == "tab\there \u{1} \u{7F} ünï")
        #expect(object["attempt"] as? Int == 3)
        #expect(object["list"] as? String == #"["a", "b"]"#)
        #expect(object.count == 6)
    }

    @Test func accessRecord_writesTheSameLine_asTheSameFieldsAsMetadata() {
        let records = [
            AccessRecord(
                level: .info, method: "GET", route: "/customers/{id}", status: 200, bytes: 157,
                durationMilliseconds: 0.529, requestID: "8a425e4ddd0fccb4000000000001bdcb"),
            AccessRecord(
                level: .debug, method: "DELETE", route: "unmatched", status: 404, bytes: 0,
                durationMilliseconds: 12, requestID: "has space \"and quote\""),
        ]
        for json in [false, true] {
            var handler = ConcordLogHandler(label: "t", level: .debug, json: json)
            for record in records {
                let generic = handler.line(
                    for: event(AccessRecord.message, record.metadata, level: record.level), at: time)
                #expect(handler.line(for: record, at: time) == generic)
            }
            // A handler with metadata of its own writes that too, in key order.
            handler[metadataKey: "instance"] = "b"
            let withInstance = String(decoding: handler.line(for: records[0], at: time), as: UTF8.self)
            #expect(withInstance.contains(json ? #""instance":"b""# : " instance=b "))
        }
        let text = ConcordLogHandler(label: "t", level: .info, json: false)
        #expect(
            String(decoding: text.line(for: records[0], at: time), as: UTF8.self)
                == "2026-11-22T09:30:00.000Z info request bytes=157 duration_ms=0.529 method=GET request_id=8a425e4ddd0fccb4000000000001bdcb route=/customers/{id} status=200\n"
        )
    }

    @Test func timestamp_isUTC_toTheMillisecond() throws {
        let before = Date()
        let stamp = ConcordLogHandler.timestamp()
        #expect(stamp.utf8.count == 24)
        #expect(stamp.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let parsed = try #require(formatter.date(from: stamp))
        #expect(abs(parsed.timeIntervalSince(before)) < 2)
    }
}
