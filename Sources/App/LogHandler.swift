import Foundation
import Logging

/// Writes one line per log record to standard error, as text (`2026-11-22T09:30:00.000Z info
/// request method=GET …`) or as a JSON object (`CONCORD_LOG_FORMAT=json`) for log shippers.
public struct ConcordLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    let label: String
    let json: Bool

    /// Serialises writes so lines from several threads never interleave.
    private static let outputLock = NSLock()

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
        Self.outputLock.lock()
        FileHandle.standardError.write(Data(line.utf8))
        Self.outputLock.unlock()
    }

    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let millis = Int(now.tv_nsec / 1_000_000)
        func pad(_ n: Int32, _ width: Int = 2) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(parts.tm_year + 1900)-\(pad(parts.tm_mon + 1))-\(pad(parts.tm_mday))T\(pad(parts.tm_hour)):\(pad(parts.tm_min)):\(pad(parts.tm_sec)).\(pad(Int32(millis), 3))Z"
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
