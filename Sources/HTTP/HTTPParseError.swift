/// Why a request could not be parsed. Every case is answered with its status and the connection
/// is closed afterwards, because the framing of anything that follows can no longer be trusted.
public struct HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The status the server answers with: 400, 413, 431, 501 or 505.
    public let status: Int
    /// A short human reason, safe to show to the client (never echoes the input).
    public let reason: String

    public init(status: Int, reason: String) {
        self.status = status
        self.reason = reason
    }

    public var description: String { "\(status) \(reason)" }

    static func bad(_ reason: String) -> HTTPParseError { HTTPParseError(status: 400, reason: reason) }
    static let headersTooLarge = HTTPParseError(status: 431, reason: "request header fields too large")
    static let tooManyHeaders = HTTPParseError(status: 431, reason: "too many header fields")
    static let bodyTooLarge = HTTPParseError(status: 413, reason: "request body too large")
}

/// The parser's bounds; anything past them is refused with a clear status rather than buffered.
public struct ParserLimits: Sendable {
    /// Bytes of request line plus header section (431 past it).
    public var maxHeaderBytes: Int
    /// Number of header fields (431 past it).
    public var maxHeaderCount: Int
    /// Bytes of decoded body, announced or accumulated from chunks (413 past it).
    public var maxBodyBytes: Int

    public init(maxHeaderBytes: Int = 16_384, maxHeaderCount: Int = 100, maxBodyBytes: Int = 1_048_576) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
    }
}
