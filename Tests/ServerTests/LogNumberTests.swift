import Foundation
import Logging
import Routing
import TestSupport
import Testing

@testable import App

/// JSON log lines carry numbers as JSON numbers, so log shippers can sum and compare them.
@Suite struct LogNumberTests {
    let time = "2026-11-22T09:30:00.000Z"

    func object(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test func accessRecord_statusBytesAndDuration_areNumbers() throws {
        let handler = ConcordLogHandler(label: "t", level: .info, json: true)
        let record = AccessRecord(
            level: .info, method: "GET", route: "/customers/{id}", status: 200, bytes: 157,
            durationMilliseconds: 1.2, requestID: "42")
        let line = String(decoding: handler.line(for: record, at: time), as: UTF8.self)
        #expect(
            line.contains(#""status":200}"#) && line.contains(#""duration_ms":1.2,"#) && line.contains(#""bytes":157,"#)
        )
        #expect(line.contains(#""request_id":"42""#), "digits in a string stay a string")
        let fields = try object(handler.line(for: record, at: time))
        #expect(fields["status"] as? Int == 200)
        #expect(fields["duration_ms"] as? Double == 1.2)
        // The text format is unchanged.
        let text = ConcordLogHandler(label: "t", level: .info, json: false)
        #expect(String(decoding: text.line(for: record, at: time), as: UTF8.self).contains(" duration_ms=1.2 "))
    }

    @Test func metadataNumbers_areNumbers_stringsAndNonFiniteValuesStayStrings() throws {
        let handler = ConcordLogHandler(label: "t", level: .info, json: true)
        let event = LogEvent(
            level: .info, message: "m",
            metadata: [
                "count": .stringConvertible(3), "ratio": .stringConvertible(0.25),
                "big": .stringConvertible(UInt64.max),
                "text": "12", "nan": .stringConvertible(Double.nan), "flag": .stringConvertible(true),
            ], source: "t", file: #fileID, function: #function, line: #line)
        let fields = try object(handler.line(for: event, at: time))
        #expect(fields["count"] as? Int == 3)
        #expect(fields["ratio"] as? Double == 0.25)
        #expect((fields["big"] as? NSNumber)?.uint64Value == UInt64.max)
        #expect(fields["text"] as? String == "12")
        #expect(fields["nan"] as? String == "nan")
        #expect(fields["flag"] as? String == "true")
    }

    /// The real binary with CONCORD_LOG_FORMAT=json: its request line has numeric fields.
    @Test func binary_requestLine_hasNumbers() throws {
        let running = try ExecutableTests.Running(environment: [
            "CONCORD_LOG_LEVEL": "info", "CONCORD_LOG_FORMAT": "json", "DATABASE_URL": try TestCluster.freshDatabase(),
        ])
        defer { running.process.terminate(); running.process.waitUntilExit() }
        // The listening line is JSON here: find the port in it.
        var text = ""
        var port = 0
        let deadline = Date().addingTimeInterval(20)
        while port == 0, Date() < deadline {
            let data = running.stderr.fileHandleForReading.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
            if let range = text.range(of: #"http://127\.0\.0\.1:\d+"#, options: .regularExpression) {
                port = Int(text[range].split(separator: ":").last!)!
            }
        }
        try #require(port > 0, "\(text)")
        #expect(try APIClient(port: port, key: "").get("/nope").status == 404)
        var requestLine: [String: Any]?
        while requestLine == nil, Date() < deadline {
            let data = running.stderr.fileHandleForReading.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
            for line in text.split(separator: "\n") where line.contains(#""message":"request""#) {
                requestLine = try object(Array(line.utf8))
            }
        }
        let fields = try #require(requestLine, "\(text)")
        #expect(fields["status"] as? Int == 404)
        #expect(fields["duration_ms"] is Double)
        #expect(fields["bytes"] as? Int ?? 0 > 0)
        #expect(fields["route"] as? String == "unmatched")
    }
}
