import Core
import FoundationEssentials
import Glibc
import Logging
import Routing
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
        LogOutput.shared.append(line(for: event, at: Self.timestamp()), urgent: event.level >= .error)
    }

    /// Writes an access record as `log(event:)` would write it with the record's metadata, minus
    /// the dictionary: its fields come sorted.
    public func write(_ record: AccessRecord) {
        LogOutput.shared.append(line(for: record, at: Self.timestamp()), urgent: false)
    }

    /// The record as one line, newline included: text (`time level message key=value …`, keys
    /// sorted, values with spaces quoted) or a JSON object.
    func line(for event: LogEvent, at timestamp: String) -> [UInt8] {
        // Most records carry only their own metadata; merging (and its dictionary copy) is for
        // the rare handler that was given some.
        var fields = event.metadata ?? [:]
        if !metadata.isEmpty { fields.merge(metadata) { event, _ in event } }
        let sorted = fields.sorted { $0.key < $1.key }.map {
            (name: $0.key, value: Self.render($0.value), numeric: Self.isNumber($0.value))
        }
        return line(level: event.level, message: event.message.description, fields: sorted, at: timestamp)
    }

    func line(for record: AccessRecord, at timestamp: String) -> [UInt8] {
        guard metadata.isEmpty else {
            let event = LogEvent(
                level: record.level, message: AccessRecord.message, metadata: record.metadata,
                source: label, file: #fileID, function: #function, line: #line)
            return line(for: event, at: timestamp)
        }
        let fields = record.fields.map {
            (name: $0.name, value: $0.value, numeric: AccessRecord.numericFields.contains($0.name))
        }
        return line(level: record.level, message: AccessRecord.message.description, fields: fields, at: timestamp)
    }

    /// The one place a line's bytes are laid out. In JSON, a numeric field is written as a
    /// number (`"status":200`), the rest as strings.
    private func line(
        level: Logger.Level, message: String, fields: [(name: String, value: String, numeric: Bool)],
        at timestamp: String
    ) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(160 + 24 * fields.count)
        if json {
            Self.append(#"{"time":""#, to: &line)
            Self.append(timestamp, to: &line)
            Self.append(#"","level":""#, to: &line)
            Self.append(level.rawValue, to: &line)
            Self.append(#"","message":"#, to: &line)
            Self.appendQuoted(message, to: &line)
            for (name, value, numeric) in fields {
                line.append(UInt8(ascii: ","))
                Self.appendQuoted(name, to: &line)
                line.append(UInt8(ascii: ":"))
                if numeric {
                    Self.append(value, to: &line)
                } else {
                    Self.appendQuoted(value, to: &line)
                }
            }
            Self.append("}\n", to: &line)
        } else {
            Self.append(timestamp, to: &line)
            line.append(UInt8(ascii: " "))
            Self.append(level.rawValue, to: &line)
            line.append(UInt8(ascii: " "))
            Self.append(message, to: &line)
            for (name, value, _) in fields {
                line.append(UInt8(ascii: " "))
                Self.append(name, to: &line)
                line.append(UInt8(ascii: "="))
                if Self.needsQuotes(value) {
                    Self.appendQuoted(value, to: &line)
                } else {
                    Self.append(value, to: &line)
                }
            }
            line.append(UInt8(ascii: "\n"))
        }
        return line
    }

    private static func render(_ value: Logger.MetadataValue) -> String {
        if case .string(let text) = value { return text }
        return value.description
    }

    /// Integers and finite floating-point values given as `.stringConvertible` (their
    /// `description` is then a valid JSON number); strings stay strings even when they hold digits.
    private static func isNumber(_ value: Logger.MetadataValue) -> Bool {
        guard case .stringConvertible(let convertible) = value else { return false }
        if convertible is any BinaryInteger { return true }
        if let double = convertible as? Double { return double.isFinite }
        if let float = convertible as? Float { return float.isFinite }
        return false
    }

    /// A text value with a space, a quote or a control byte would break `key=value` apart.
    private static func needsQuotes(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            bytes.contains { $0 <= UInt8(ascii: " ") || $0 == UInt8(ascii: "\"") || $0 == 0x7F }
        }
    }

    /// Copies the string's bytes in one go (the generic `append(contentsOf:)` goes byte by byte).
    private static func append(_ text: String, to line: inout [UInt8]) {
        var text = text
        text.withUTF8 { line.append(contentsOf: $0) }
    }

    private static func appendQuoted(_ text: String, to line: inout [UInt8]) {
        line.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): line.append(UInt8(ascii: "\\")); line.append(byte)
            case UInt8(ascii: "\\"): line.append(UInt8(ascii: "\\")); line.append(byte)
            case UInt8(ascii: "\n"): line.append(UInt8(ascii: "\\")); line.append(UInt8(ascii: "n"))
            case UInt8(ascii: "\r"): line.append(UInt8(ascii: "\\")); line.append(UInt8(ascii: "r"))
            case UInt8(ascii: "\t"): line.append(UInt8(ascii: "\\")); line.append(UInt8(ascii: "t"))
            case 0..<0x20, 0x7F:
                let digits = Array("0123456789abcdef".utf8)
                line.append(contentsOf: [
                    UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                    digits[Int(byte >> 4)], digits[Int(byte & 15)],
                ])
            default: line.append(byte)
            }
        }
        line.append(UInt8(ascii: "\""))
    }

    /// `2026-11-22T09:30:00.000Z`, written digit by digit (no shared cache, so no lock).
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(unsafeUninitializedCapacity: 24) { output in
            var o = 0
            func put(_ value: Int, width: Int, then separator: UInt8) {
                var rest = value
                for position in stride(from: width - 1, through: 0, by: -1) {
                    output[o + position] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
                output[o + width] = separator
                o += width + 1
            }
            put(Int(parts.tm_year) + 1900, width: 4, then: UInt8(ascii: "-"))
            put(Int(parts.tm_mon) + 1, width: 2, then: UInt8(ascii: "-"))
            put(Int(parts.tm_mday), width: 2, then: UInt8(ascii: "T"))
            put(Int(parts.tm_hour), width: 2, then: UInt8(ascii: ":"))
            put(Int(parts.tm_min), width: 2, then: UInt8(ascii: ":"))
            put(Int(parts.tm_sec), width: 2, then: UInt8(ascii: "."))
            put(now.tv_nsec / 1_000_000, width: 3, then: UInt8(ascii: "Z"))
            return o
        }
    }
}

/// Standard error, buffered: request threads append lines and a background thread writes them
/// every 10 ms (at once for errors), so logging costs a request a memory copy, not a system
/// call under a lock. `flush()` runs at exit.
public final class LogOutput: @unchecked Sendable {
    public static let shared = LogOutput()

    private let condition = Condition()
    private var buffer: [UInt8] = []
    private var started = false

    func append(_ line: [UInt8], urgent: Bool) {
        condition.lock()
        buffer.append(contentsOf: line)
        if !started {
            started = true
            BackgroundThread.start(name: "concord-log") { [self] in writeLoop() }
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
            if buffer.isEmpty || buffer.count <= 65_536 { _ = condition.wait(seconds: 0.01) }
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
