import Foundation
import Logging
import Synchronization

/// Writes one line per log record to standard error, as text (`2026-11-22T09:30:00.000Z info
/// request method=GET …`) or as a JSON object (`CONCORD_LOG_FORMAT=json`) for log shippers.
public struct ConcordLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    let label: String
    let json: Bool


    public init(label: String, level: Logger.Level, json: Bool) {
        self.label = label
        logLevel = level
        self.json = json
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let timestamp = Self.timestamp()
        let line: String
        if json {
            var fields = "{\"time\":\"\(timestamp)\",\"level\":\"\(event.level)\",\"message\":\(Self.quote("\(event.message)"))"
            for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
                fields += ",\(Self.quote(key)):\(Self.quote("\(value)"))"
            }
            line = fields + "}\n"
        } else {
            var text = "\(timestamp) \(event.level) \(event.message)"
            for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
                let rendered = "\(value)"
                text += " \(key)=" + (rendered.contains(" ") ? Self.quote(rendered) : rendered)
            }
            line = text + "\n"
        }
        LogOutput.shared.append(line, urgent: event.level >= .error)
    }

    /// `2026-11-22T09:30:00.000Z`, written digit by digit (no shared cache, so no lock).
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let fields: [(Int, Int, UInt8)] = [
            (Int(parts.tm_year) + 1900, 4, UInt8(ascii: "-")), (Int(parts.tm_mon) + 1, 2, UInt8(ascii: "-")),
            (Int(parts.tm_mday), 2, UInt8(ascii: "T")), (Int(parts.tm_hour), 2, UInt8(ascii: ":")),
            (Int(parts.tm_min), 2, UInt8(ascii: ":")), (Int(parts.tm_sec), 2, UInt8(ascii: ".")),
            (now.tv_nsec / 1_000_000, 3, UInt8(ascii: "Z")),
        ]
        return String(unsafeUninitializedCapacity: 24) { output in
            var o = 0
            for (value, width, separator) in fields {
                var rest = value
                for position in stride(from: width - 1, through: 0, by: -1) {
                    output[o + position] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
                o += width
                output[o] = separator
                o += 1
            }
            return o
        }
    }

    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

/// Standard error, buffered: request threads append lines and a background thread writes them
/// every 10 ms (at once for errors), so logging costs a request a memory copy, not a system
/// call under a lock. `flush()` runs at exit.
public final class LogOutput: @unchecked Sendable {
    public static let shared = LogOutput()

    private let condition = NSCondition()
    private var buffer: [UInt8] = []
    private var started = false

    func append(_ line: String, urgent: Bool) {
        condition.lock()
        buffer.append(contentsOf: line.utf8)
        if !started {
            started = true
            let thread = Thread { [self] in writeLoop() }
            thread.name = "concord-log"
            thread.start()
        }
        if urgent || buffer.count > 65_536 { condition.signal() }
        condition.unlock()
    }

    /// Writes everything buffered so far.
    public func flush() {
        condition.lock()
        let pending = buffer
        buffer = []
        condition.unlock()
        write(pending)
    }

    private func writeLoop() {
        while true {
            condition.lock()
            if buffer.isEmpty || buffer.count <= 65_536 { _ = condition.wait(until: Date().addingTimeInterval(0.01)) }
            let pending = buffer
            buffer = []
            buffer.reserveCapacity(pending.count)
            condition.unlock()
            write(pending)
        }
    }

    private func write(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress! + offset, $0.count - offset) }
            if written <= 0 {
                if written < 0 && errno == EINTR { continue }
                return
            }
            offset += written
        }
    }
}
